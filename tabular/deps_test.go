package tabular

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoBusinessImports keeps the package free of the rest of meter-sync:
// it knows files, not customers.
func TestNoBusinessImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	must(t, err)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		must(t, err)
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "meter-sync" || strings.HasPrefix(path, "meter-sync/") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
