package rdb

import (
	"encoding/json"
	"fmt"
	"github.com/cutover/cutover/lab/labtest"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type manifest struct {
	Header    string            `json:"rdb_header"`
	Version   int               `json:"rdb_version"`
	Aux       map[string]string `json:"rdb_aux_fields"`
	Opcodes   map[string]int    `json:"rdb_opcodes_seen"`
	CRC64     string            `json:"rdb_crc64"`
	TypeCount map[string]int    `json:"rdb_type_id_counts"`
	DBSize    map[string]int    `json:"dbsize"`
	Functions []struct {
		Code string `json:"code"`
	} `json:"functions"`
	Keys []manifestKey `json:"keys"`
}

func testdataFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(labtest.RDBTestdata(t), "*.rdb"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no RDB files in %s (err %v): the shared testdata must be beside the repository", labtest.RDBTestdata(t), err)
	}
	return files
}

func loadManifest(t *testing.T, rdbPath string) *manifest {
	t.Helper()
	b, err := os.ReadFile(strings.TrimSuffix(rdbPath, ".rdb") + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// TestTestdataFiles decodes every key of every engine's file and compares
// it, and the file's header, aux fields, functions and checksum, with the
// manifest read from the live server that wrote the file.
func TestTestdataFiles(t *testing.T) {
	for _, path := range testdataFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			m := loadManifest(t, path)
			want := map[string]manifestKey{}
			for _, k := range m.Keys {
				want[fmt.Sprint(k.DB, "/", k.Key)] = k
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			if r.Header() != m.Header || r.Version() != m.Version {
				t.Errorf("header %q version %d, manifest %q %d", r.Header(), r.Version(), m.Header, m.Version)
			}
			aux := map[string]string{}
			var functions []string
			dbsize := map[string]int{}
			types := map[string]int{}
			opcodes := map[string]int{}
			for {
				e, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				switch e.Kind {
				case AuxEntry:
					aux[string(e.Name)] = string(e.Value)
					opcodes["AUX"]++
				case FunctionEntry:
					functions = append(functions, string(e.Value))
					opcodes["FUNCTION2"]++
				case ResizeDBEntry:
					opcodes["RESIZEDB"]++
				case KeyEntry:
					id := fmt.Sprint(e.DB, "/", b64(e.Key))
					mk, ok := want[id]
					if !ok {
						t.Errorf("key %q in db %d is not in the manifest", e.Key, e.DB)
						continue
					}
					delete(want, id)
					dbsize[fmt.Sprint(e.DB)]++
					types[fmt.Sprint(e.Type)]++
					if e.ExpireMS >= 0 {
						opcodes["EXPIRETIME_MS"]++
					}
					if int(e.Type) != mk.RDBType {
						t.Errorf("key %q: type %d, manifest %d", e.Key, e.Type, mk.RDBType)
					}
					v, err := e.Decode()
					if err != nil {
						t.Errorf("key %q: %v", e.Key, err)
						continue
					}
					if d := sameCanon(canonOf(e.Key, v, e.ExpireMS), canonManifest(t, mk)); d != "" {
						t.Errorf("key %q (%s): %s", e.Key, TypeName(e.Type), d)
					}
				}
			}
			for id := range want {
				t.Errorf("manifest key %s not found in the file", id)
			}
			if fmt.Sprint(aux) != fmt.Sprint(m.Aux) {
				t.Errorf("aux %v, manifest %v", aux, m.Aux)
			}
			if len(functions) != len(m.Functions) || len(functions) == 0 || functions[0] != m.Functions[0].Code {
				t.Errorf("functions %q, manifest %+v", functions, m.Functions)
			}
			if fmt.Sprint(dbsize) != fmt.Sprint(m.DBSize) || fmt.Sprint(types) != fmt.Sprint(m.TypeCount) {
				t.Errorf("dbsize %v types %v, manifest %v %v", dbsize, types, m.DBSize, m.TypeCount)
			}
			for _, op := range []string{"AUX", "FUNCTION2", "RESIZEDB", "EXPIRETIME_MS"} {
				if opcodes[op] != m.Opcodes[op] {
					t.Errorf("%d %s records, manifest %d", opcodes[op], op, m.Opcodes[op])
				}
			}
			if c := r.Checksum(); c.Status != "verified" || c.Value != m.CRC64 {
				t.Errorf("checksum %+v, manifest %s", c, m.CRC64)
			}
		})
	}
}
