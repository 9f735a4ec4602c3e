package metersync_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// pkg is what go list says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

// TestDependencyDirection keeps the shape of DESIGN.md §3: protocol is pure,
// the domain rules do no I/O, storage stays behind its interfaces and the
// server stays thin.
func TestDependencyDirection(t *testing.T) {
	pkgs := listPackages(t)
	ioPkgs := []string{"os", "io/fs", "io/ioutil", "net", "net/http", "os/exec", "database/sql", "log", "log/slog",
		"go.etcd.io/bbolt", "github.com/labstack/echo/v4"}
	rules := []struct {
		pkg        string
		transitive bool // check every dependency, not only direct imports
		forbidden  []string
	}{
		// fmt and time reach os underneath, so the domain's direct imports are what is checked.
		{"meter-sync/domain", false, append(ioPkgs, "meter-sync/store", "meter-sync/tabular")},
		{"meter-sync/vee", false, append(ioPkgs, "meter-sync/store", "meter-sync/tabular")},
		{"meter-sync/account", false, append(ioPkgs, "meter-sync/store")},
		{"meter-sync/protocol", true, []string{"net/http", "go.etcd.io/bbolt", "github.com/labstack/echo/v4",
			"meter-sync/store", "meter-sync/server", "meter-sync/device", "go.bug.st/serial", "log/slog"}},
		{"meter-sync/store", true, []string{"go.etcd.io/bbolt", "net/http", "github.com/labstack/echo/v4"}},
		// (excelize, under tabular, reaches net/http; what matters is that files know nothing of storage.)
		{"meter-sync/interchange", true, []string{"meter-sync/store", "meter-sync/server", "go.etcd.io/bbolt"}},
		{"meter-sync/masterdata", true, []string{"meter-sync/server", "github.com/labstack/echo/v4", "go.etcd.io/bbolt", "meter-sync/store/bolt"}},
		{"meter-sync/server", true, []string{"go.etcd.io/bbolt", "meter-sync/store/bolt", "meter-sync/masterdata"}},
		// review is domain logic over store's interfaces: no HTTP, no bbolt.
		{"meter-sync/review", true, []string{"meter-sync/server", "github.com/labstack/echo/v4", "go.etcd.io/bbolt",
			"meter-sync/store/bolt", "meter-sync/masterdata", "meter-sync/device"}},
		// the sync wire format is pure; the sync server side stays off HTTP and bbolt.
		{"meter-sync/protocol/syncwire", true, []string{"net/http", "go.etcd.io/bbolt", "github.com/labstack/echo/v4",
			"meter-sync/store", "meter-sync/server", "meter-sync/sync", "log/slog"}},
		{"meter-sync/sync", true, []string{"meter-sync/server", "github.com/labstack/echo/v4", "go.etcd.io/bbolt",
			"meter-sync/store/bolt", "net/http"}},
		// orders is the work-order and receipt rules over store's interfaces: no HTTP, no bbolt.
		{"meter-sync/orders", true, []string{"meter-sync/server", "github.com/labstack/echo/v4", "go.etcd.io/bbolt",
			"meter-sync/store/bolt", "net/http", "meter-sync/sync", "meter-sync/masterdata", "meter-sync/device"}},
		{"meter-sync/fixtures", true, []string{"meter-sync/store", "meter-sync/server", "go.etcd.io/bbolt"}},
	}
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			p, ok := pkgs[r.pkg]
			if !ok {
				t.Fatalf("package %s not found", r.pkg)
			}
			deps := p.Imports
			if r.transitive {
				deps = p.Deps
			}
			for _, f := range r.forbidden {
				if slices.Contains(deps, f) {
					t.Errorf("%s depends on %s", r.pkg, f)
				}
			}
		})
	}
	for path, p := range pkgs {
		for _, d := range p.Imports {
			if strings.HasPrefix(d, "meter-sync/cmd/") {
				t.Errorf("%s imports the command %s", path, d)
			}
		}
	}
}
