package handheld

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// KeySize is the length of a paired handheld's key in bytes.
const KeySize = 32

// ErrNotPaired is returned by Identity when the handheld has no device id
// and key yet (handheld init was not run).
var ErrNotPaired = errors.New("handheld: not paired: enter the device id and the key from meter-sync device pair")

// ErrNoRoute is returned by Record and Walk when no route is loaded.
var ErrNoRoute = errors.New("handheld: no route loaded")

// ErrInUse is returned by Open when another process has the file open.
var ErrInUse = errors.New("handheld: the data file is in use by another process")

// Bucket names.
var (
	bucketMeta       = []byte("meta")        // identity, clock offset, route header
	bucketRoute      = []byte("route")       // position (u32) → Household, in walking order
	bucketRouteIdx   = []byte("route_idx")   // customer id → position
	bucketRereads    = []byte("rereads")     // customer id → Household
	bucketReadings   = []byte("readings")    // reading id (u64) → Reading, pending upload
	bucketReadingIdx = []byte("reading_idx") // customer id → its pending reading's id
	bucketPartials   = []byte("partials")    // transfer id → bucket of offset (u64) → bytes
)

// Keys of the meta bucket.
var (
	metaDeviceID = []byte("device_id")
	metaKey      = []byte("key")
	metaOffset   = []byte("clock_offset") // nanoseconds, decimal
	metaRoute    = []byte("route")        // RouteHeader as JSON
)

// Options configure a Store. A nil *Options takes the defaults.
type Options struct {
	// Now is the system clock the handheld's clock is offset from; nil means
	// time.Now.
	Now func() time.Time
	// LockTimeout is how long Open waits for another process to let go of
	// the file before it returns ErrInUse; 0 means one second.
	LockTimeout time.Duration
}

// Store is what a handheld keeps, in one bbolt file. Every change is one
// transaction, so a killed process loses nothing that a method returned
// from. It is safe for concurrent use.
type Store struct {
	db  *bolt.DB
	now func() time.Time
}

// Open opens or creates the handheld's file at path.
func Open(path string, opt *Options) (*Store, error) {
	o := Options{}
	if opt != nil {
		o = *opt
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrInUse, path)
	}
	if err != nil {
		return nil, fmt.Errorf("handheld: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketRoute, bucketRouteIdx, bucketRereads, bucketReadings, bucketReadingIdx, bucketPartials} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("handheld: open %s: %w", path, err)
	}
	return &Store{db: db, now: o.Now}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the file's path.
func (s *Store) Path() string { return s.db.Path() }

// Identity is who the handheld is to the server.
type Identity struct {
	DeviceID string
	Key      [KeySize]byte // proves the device in the docking challenge
}

// ParseKey reads a key as meter-sync device pair prints it: 64 hex digits.
func ParseKey(s string) ([KeySize]byte, error) {
	var k [KeySize]byte
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != KeySize {
		return k, fmt.Errorf("handheld: the key must be %d hex digits, as meter-sync device pair prints it", 2*KeySize)
	}
	copy(k[:], b)
	return k, nil
}

// Identity returns the device id and key, or ErrNotPaired.
func (s *Store) Identity() (Identity, error) {
	var id Identity
	err := s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		dev, key := m.Get(metaDeviceID), m.Get(metaKey)
		if dev == nil || len(key) != KeySize {
			return ErrNotPaired
		}
		id.DeviceID = string(dev)
		copy(id.Key[:], key)
		return nil
	})
	return id, err
}

// SetIdentity sets the device id and key, replacing any earlier pairing.
func (s *Store) SetIdentity(deviceID string, key [KeySize]byte) error {
	if deviceID == "" || strings.ContainsFunc(deviceID, func(r rune) bool { return r <= ' ' }) {
		return fmt.Errorf("handheld: device id %q: must be non-empty, without spaces", deviceID)
	}
	return s.update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if err := m.Put(metaDeviceID, []byte(deviceID)); err != nil {
			return err
		}
		return m.Put(metaKey, key[:])
	})
}

// ClockOffset returns how far the handheld's clock is from the system clock.
func (s *Store) ClockOffset() (time.Duration, error) {
	var d time.Duration
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		d, err = offsetIn(tx)
		return err
	})
	return d, err
}

func offsetIn(tx *bolt.Tx) (time.Duration, error) {
	v := tx.Bucket(bucketMeta).Get(metaOffset)
	if v == nil {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("handheld: stored clock offset %q: %w", v, err)
	}
	return time.Duration(n), nil
}

// SetClockOffset sets the handheld's clock to the system clock plus d.
func (s *Store) SetClockOffset(d time.Duration) error {
	return s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(metaOffset, []byte(strconv.FormatInt(int64(d), 10)))
	})
}

// Now returns the handheld's clock: the system clock plus the offset.
func (s *Store) Now() (time.Time, error) {
	d, err := s.ClockOffset()
	if err != nil {
		return time.Time{}, err
	}
	return s.now().Add(d), nil
}

// SetClock sets the handheld's clock to t, as the server's clock correction
// (校正抄表机时钟) does; the offset from the system clock is what is kept.
func (s *Store) SetClock(t time.Time) error {
	return s.SetClockOffset(t.Sub(s.now()))
}

// update runs fn in a write transaction and prefixes its errors.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if err := s.db.Update(fn); err != nil {
		if strings.HasPrefix(err.Error(), "handheld: ") {
			return err
		}
		return fmt.Errorf("handheld: %w", err)
	}
	return nil
}

func u32(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func getJSON(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("handheld: stored record: %w", err)
	}
	return nil
}
