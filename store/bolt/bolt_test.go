package bolt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

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

func testReadingVersion() domain.ReadingVersion {
	jan, _ := domain.ParseMonth("2026-01")
	rem, used := 12.5, 230.25
	return domain.ReadingVersion{Reading: domain.Reading{CustomerID: "3300000001", Cycle: jan, ValueM3: 1234.5,
		ReadAt: time.Date(2026, 1, 10, 9, 30, 15, 500, domain.Local), ReaderID: "R001",
		Flags: domain.FlagEstimated | domain.FlagDoorClosed, ICRemaining: &rem, ICUsed: &used, Remark: "按近期均量估抄"},
		Version: 2, Source: domain.FromHandheld, DeviceID: "HH-0001", ClockSkew: -3 * time.Second,
		RecordedAt: time.Date(2026, 2, 1, 8, 0, 0, 0, domain.Local), RecordedBy: "clerk1", Why: "重抄"}
}

func TestReadingVersionCodec(t *testing.T) {
	full := testReadingVersion()
	bare := full
	bare.ICRemaining, bare.ICUsed, bare.RecordedAt, bare.Remark = nil, nil, time.Time{}, ""
	bare.ReadAt = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC) // the earliest instant a file may name
	for _, v := range []domain.ReadingVersion{full, bare} {
		b := encodeReadingVersion(&v)
		var got domain.ReadingVersion
		if err := decodeReadingVersion(b, &got); err != nil {
			t.Fatal(err)
		}
		if !domain.SameReading(got.Reading, v.Reading) || got.Version != v.Version || got.Source != v.Source ||
			got.DeviceID != v.DeviceID || got.ClockSkew != v.ClockSkew || !got.RecordedAt.Equal(v.RecordedAt) ||
			got.RecordedAt.IsZero() != v.RecordedAt.IsZero() || got.RecordedBy != v.RecordedBy || got.Why != v.Why {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, v)
		}
		for n := 0; n < len(b); n++ {
			if decodeReadingVersion(b[:n], &got) == nil {
				t.Fatalf("decoding %d of %d bytes succeeded", n, len(b))
			}
		}
	}
}

func FuzzDecodeReadingVersion(f *testing.F) {
	v := testReadingVersion()
	f.Add(encodeReadingVersion(&v))
	v.ICRemaining, v.RecordedAt = nil, time.Time{}
	f.Add(encodeReadingVersion(&v))
	f.Add([]byte{readingLayout, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var got domain.ReadingVersion
		if decodeReadingVersion(b, &got) != nil {
			return
		}
		once := encodeReadingVersion(&got)
		var again domain.ReadingVersion
		if err := decodeReadingVersion(once, &again); err != nil {
			t.Fatalf("re-decoding %x: %v", once, err)
		}
		if twice := encodeReadingVersion(&again); !bytes.Equal(once, twice) {
			t.Fatalf("decode→encode not stable:\n%x\n%x", once, twice)
		}
	})
}

// TestCheckFindsAReadingOutOfTheIndex removes a reading's index entry and
// an anomaly's key from under it, and expects Check to say so.
func TestCheckFindsAReadingOutOfTheIndex(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "test.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := testReadingVersion()
	a := store.Anomaly{Cycle: v.Cycle, ReaderID: v.ReaderID, CustomerID: v.CustomerID, Code: "NEGATIVE", Status: store.AnomalyOpen}
	err = s.Update(func(tx store.Tx) error {
		if _, _, err := tx.AppendReading(v); err != nil {
			return err
		}
		_, err := tx.PutAnomaly(a)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("sound store: %v", err)
	}
	err = s.db.Update(func(btx *bbolt.Tx) error {
		raw := btx.Bucket(bucketAnomalies).Get(anomalyKey(a.Key()))
		other := a
		other.Code = "DUPLICATE"
		if err := btx.Bucket(bucketAnomalies).Put(anomalyKey(other.Key()), slices.Clone(raw)); err != nil {
			return err
		}
		return btx.Bucket(bucketReadingIndex).Delete(readingIndexKey(v.Cycle, v.ReaderID, v.CustomerID))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Check()
	if err == nil || !strings.Contains(err.Error(), "missing from the reading index") || !strings.Contains(err.Error(), "filed under another key") {
		t.Fatalf("Check = %v, want the missing index entry and the misfiled anomaly", err)
	}
}
