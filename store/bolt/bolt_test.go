package bolt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/store/storetest"
)

// openTest opens a store in a temporary directory and checks it when the
// test ends.
func openTest(t *testing.T) *DB {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "test.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Errorf("consistency: %v", err)
		}
		s.Close()
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

func TestOpenWhileHeldSaysInUse(t *testing.T) {
	s := openTest(t)
	_, err := Open(s.Path(), &Options{Timeout: 50_000_000})
	if !errors.Is(err, store.ErrInUse) {
		t.Fatalf("second open: err = %v, want ErrInUse", err)
	}
}

func TestBackupOpensAsAStore(t *testing.T) {
	s := openTest(t)
	c := storetest.Household("c1", 1201, 1, 1, 101, domain.OddMonths)
	if err := s.Update(func(tx store.Tx) error { _, _, err := tx.PutCustomer(&c); return err }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	copy, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer copy.Close()
	if err := copy.Check(); err != nil {
		t.Fatal(err)
	}
	err = copy.View(func(tx store.ReadTx) error {
		got, err := tx.Customer("c1")
		if got.Address != c.Address {
			t.Errorf("backup holds %+v", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCodecRejectsTruncated(t *testing.T) {
	c := storetest.Household("c1", 1201, 1, 1, 101, domain.OddMonths)
	b := encodeCustomer(&c)
	for n := 0; n < len(b); n++ {
		var got domain.Customer
		if err := decodeCustomer(b[:n], &got); err == nil {
			t.Fatalf("decoding %d of %d bytes succeeded", n, len(b))
		}
	}
}

func FuzzDecodeCustomer(f *testing.F) {
	c := storetest.Household("c1", 1201, 1, 1, 101, domain.OddMonths)
	f.Add(encodeCustomer(&c))
	f.Add([]byte{1, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var got domain.Customer
		if decodeCustomer(b, &got) != nil {
			return
		}
		if again := encodeCustomer(&got); !bytes.Equal(again, b) {
			t.Fatalf("decode→encode not canonical:\n in %x\nout %x", b, again)
		}
	})
}
