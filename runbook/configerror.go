package runbook

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// ConfigError names the file, line and field that are wrong.
type ConfigError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *ConfigError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Field == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Field + ": " + e.Msg
}

// nodeError is a bad value met while decoding, with the node it is at.
type nodeError struct {
	node ast.Node
	msg  string
}

func (e *nodeError) Error() string { return e.msg }

// yamlError turns a parse or decode error into a ConfigError with the line
// and, where the decoder knows it, the field.
func yamlError(path string, file *ast.File, err error) error {
	var ne *nodeError
	if errors.As(err, &ne) {
		return fieldError(path, ne.node, ne.msg)
	}
	// Wrong kinds of value: name the field, not the Go struct behind it.
	var te *yaml.TypeError
	var oe *yaml.OverflowError
	var ue *yaml.UnexpectedNodeTypeError
	switch {
	case errors.As(err, &te):
		if n := nodeAt(file, te.Token); n != nil {
			return fieldError(path, n, typeMsg(n, te.DstType))
		}
	case errors.As(err, &oe):
		if n := nodeAt(file, oe.Token); n != nil {
			return fieldError(path, n, oe.SrcNum+" is too large")
		}
	case errors.As(err, &ue):
		if n := nodeAt(file, ue.Token); n != nil {
			return fieldError(path, n, fmt.Sprintf("is a %s where a %s is expected", ue.Actual.YAMLName(), ue.Expected.YAMLName()))
		}
	}
	var ye yaml.Error
	if errors.As(err, &ye) {
		msg := ye.GetMessage()
		if strings.Contains(msg, "unknown field") {
			msg += " (see the config reference in the README)"
		}
		return &ConfigError{File: path, Line: tokenLine(ye.GetToken()), Msg: msg}
	}
	return &ConfigError{File: path, Msg: err.Error()}
}

func fieldError(path string, n ast.Node, msg string) error {
	field := strings.TrimPrefix(strings.TrimPrefix(n.GetPath(), "$"), ".")
	if field == "" {
		msg = "the file " + msg
	}
	return &ConfigError{File: path, Line: tokenLine(n.GetToken()), Field: field, Msg: msg}
}

func tokenLine(t *token.Token) int {
	if t == nil || t.Position == nil {
		return 0
	}
	return t.Position.Line
}

// nodeAt finds the node of a token from the decoder, which parsed the file
// on its own: the same place in the file is the same node.
func nodeAt(file *ast.File, t *token.Token) ast.Node {
	if file == nil || t == nil || t.Position == nil {
		return nil
	}
	f := &nodeFinder{pos: *t.Position}
	for _, doc := range file.Docs {
		ast.Walk(f, doc)
	}
	return f.found
}

type nodeFinder struct {
	pos   token.Position
	found ast.Node
}

func (f *nodeFinder) Visit(n ast.Node) ast.Visitor {
	if f.found != nil {
		return nil
	}
	if t := n.GetToken(); t != nil && t.Position != nil && t.Position.Offset == f.pos.Offset && n.GetPath() != "" {
		if _, isDoc := n.(*ast.DocumentNode); !isDoc {
			f.found = n
			return nil
		}
	}
	return f
}

// typeMsg says in words what kind of value a field wants.
func typeMsg(n ast.Node, dst reflect.Type) string {
	want := "a string"
	switch dst.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "a whole number"
	case reflect.Float32, reflect.Float64:
		want = "a number"
	case reflect.Bool:
		want = "true or false"
	case reflect.Slice:
		want = "a list"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		want = "a mapping of fields"
	}
	switch n.(type) {
	case *ast.SequenceNode:
		return "is a list, not " + want
	case *ast.MappingNode, *ast.MappingValueNode:
		return "is a mapping, not " + want
	}
	return fmt.Sprintf("%q is not %s", n.GetToken().Value, want)
}
