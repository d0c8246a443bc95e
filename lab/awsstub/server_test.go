package awsstub

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/cutover/cutover/lab/zone"
)

func TestServiceRouting(t *testing.T) {
	mk := func(method, target, auth, ctype string) *http.Request {
		r, err := http.NewRequest(method, "http://127.0.0.1"+target, nil)
		must(t, err)
		if auth != "" {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/"+auth+"/aws4_request, SignedHeaders=host, Signature=00")
		}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		return r
	}
	cases := []struct {
		r    *http.Request
		want string
	}{
		{mk("POST", "/", "elasticache", "application/x-www-form-urlencoded"), "elasticache"},
		{mk("GET", "/2013-04-01/hostedzone", "route53", ""), "route53"},
		{mk("POST", "/service/GraniteServiceVersion20100801/operation/GetMetricData", "monitoring", "application/cbor"), "monitoring"},
		// A bucket named like a Route53 path is still S3 when signed for S3.
		{mk("GET", "/2013-04-01/key", "s3", ""), "s3"},
		{mk("POST", "/", "s3", "application/x-www-form-urlencoded"), "s3"},
		{mk("GET", "/bucket/key?X-Amz-Credential="+url.QueryEscape("AKID/20260101/us-east-1/s3/aws4_request"), "", ""), "s3"},
		{mk("POST", "/", "sts", "application/x-www-form-urlencoded"), "sts"},
		// Unsigned requests fall back to the protocol's shape.
		{mk("POST", "/", "", "application/x-www-form-urlencoded"), "elasticache"},
		{mk("GET", "/2013-04-01/change/C1", "", ""), "route53"},
		{mk("GET", "/bucket", "", ""), "s3"},
	}
	for _, c := range cases {
		if got := service(c.r); got != c.want {
			t.Errorf("%s %s (auth %q): %s, want %s", c.r.Method, c.r.URL, c.r.Header.Get("Authorization"), got, c.want)
		}
	}
}

func TestExtraUnknownServiceAndClose(t *testing.T) {
	l := newLab(t, func(c *Config) {
		c.Extra = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "lab:"+r.URL.Path) })
	})
	resp, err := http.Get(l.srv.URL() + "/_lab/status")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "lab:/_lab/status" {
		t.Fatalf("/_lab/ answered %q", body)
	}
	req, _ := http.NewRequest("POST", l.srv.URL()+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00")
	resp, err = http.DefaultClient.Do(req)
	must(t, err)
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "does not serve &#34;sts&#34;") {
		t.Fatalf("unknown service: %d %s", resp.StatusCode, body)
	}
	dir := l.srv.dir
	must(t, l.srv.Close())
	must(t, l.srv.Close())
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("snapshot dir %s survives Close: %v", dir, err)
	}
	if _, err := http.Get(l.srv.URL() + "/_lab/status"); err == nil {
		t.Fatal("server still answers after Close")
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	good := func() Config {
		return Config{ReplicationGroupID: "lab-cache", PrimaryEndpoint: "source.lab.internal:6379",
			Snapshot: func(context.Context, io.Writer) error { return nil }, Info: (&infoSource{}).get, Zones: zone.NewStore()}
	}
	cases := map[string]func(*Config){
		"no group":         func(c *Config) { c.ReplicationGroupID = "" },
		"endpoint no port": func(c *Config) { c.PrimaryEndpoint = "source.lab.internal" },
		"public address":   func(c *Config) { c.Addr = "0.0.0.0:0" },
		"engine":           func(c *Config) { c.Engine = "memcached" },
		"replicas":         func(c *Config) { c.NumReplicas = 6 },
		"no snapshot func": func(c *Config) { c.Snapshot = nil },
		"no zones":         func(c *Config) { c.Zones = nil },
		"grant unknown":    func(c *Config) { c.GrantedBuckets = []string{"nope"} },
		"bad bucket name":  func(c *Config) { c.Buckets = map[string]string{"Bad_Bucket": "us-east-1"} },
		"bucket no region": func(c *Config) { c.Buckets = map[string]string{"lab-x": ""} },
		"shards no config endpoint": func(c *Config) {
			c.Shards = []Shard{{Slots: "0-16383", Nodes: []string{"127.0.0.1:7001"}, Snapshot: c.Snapshot}}
		},
		"shard no slots": func(c *Config) {
			c.ConfigurationEndpoint = "127.0.0.1:7001"
			c.Shards = []Shard{{Nodes: []string{"127.0.0.1:7001"}, Snapshot: c.Snapshot}}
		},
		"shard no snapshot": func(c *Config) {
			c.ConfigurationEndpoint = "127.0.0.1:7001"
			c.Shards = []Shard{{Slots: "0-16383", Nodes: []string{"127.0.0.1:7001"}}}
		},
	}
	for name, edit := range cases {
		c := good()
		edit(&c)
		if s, err := Start(c); err == nil {
			_ = s.Close()
			t.Errorf("%s: accepted", name)
		}
	}
	s, err := Start(good())
	must(t, err)
	must(t, s.Close())
}
