package bolt

import (
	"errors"
	"path/filepath"
	"testing"

	"meter-sync/sync/client"
	"meter-sync/sync/client/clienttest"
)

// open makes a Store in a temporary directory and checks the file's pages
// after the test.
func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "tablet.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Errorf("check: %v", err)
		}
		s.Close()
	})
	return s
}

func TestConformance(t *testing.T) {
	clienttest.Run(t, func(t *testing.T) client.Store { return open(t) })
}

func TestOpenTwiceIsInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tablet.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(path, &Options{LockTimeout: 50_000_000}); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
}
