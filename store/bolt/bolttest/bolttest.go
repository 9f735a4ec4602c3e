// Package bolttest opens bolt stores for other packages' tests.
package bolttest

import (
	"path/filepath"
	"testing"

	"meter-sync/store/bolt"
)

// Open opens an empty store in t's temporary directory; when the test
// ends it checks the store's consistency and closes it.
func Open(t testing.TB) *bolt.DB {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		s.Close()
	})
	return s
}
