package sync

import (
	"errors"
	"log/slog"
	gosync "sync"
	"time"

	"meter-sync/account"
	"meter-sync/orders"
	"meter-sync/store"
)

// Applier decides receipts: orders.Policy. It is an interface so that the
// protocol's mechanics can be tested where the rules cannot run.
type Applier interface {
	ApplyReceipt(tx store.Tx, by orders.Actor, r orders.Receipt, baseVersion int, now time.Time) (orders.Outcome, error)
}

// Options configure a Service; zero values mean the defaults on each field.
type Options struct {
	// Store is where everything is kept; required.
	Store store.Store
	// Applier decides receipts; nil answers every push ErrUnavailable.
	Applier Applier
	// Readings serves readers' networked handhelds: their routes and the
	// readings import (device.Network); nil answers readers
	// ErrUnavailable.
	Readings Readings
	// BlobDir holds the attachments (DATA/blobs); "" refuses uploads.
	BlobDir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger gets WARN for refused requests and ERROR for failures; nil discards.
	Logger *slog.Logger
	// MaxSkew is the clock skew beyond which a receipt's times are moved by
	// the skew measured (DESIGN §5.8: 2 s); zero means 2 s.
	MaxSkew time.Duration
	// Horizon is how long a removal stays in a change log; a tablet that has
	// not pulled for longer must pull from scratch. Zero means 90 days.
	Horizon time.Duration
}

// Service is the sync server side. It is safe for concurrent use.
type Service struct {
	opt   Options
	log   *slog.Logger
	now   func() time.Time
	blobs *blobStore

	mu   gosync.Mutex
	seen map[string]store.SyncDevice // what was last stored per tablet
}

// New makes a Service; it panics without a store.
func New(opt Options) *Service {
	if opt.Store == nil {
		panic("sync: Options.Store is nil")
	}
	s := &Service{opt: opt, log: opt.Logger, now: opt.Now, seen: map[string]store.SyncDevice{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.opt.MaxSkew == 0 {
		s.opt.MaxSkew = 2 * time.Second
	}
	if s.opt.Horizon == 0 {
		s.opt.Horizon = 90 * 24 * time.Hour
	}
	if opt.BlobDir != "" {
		s.blobs = &blobStore{dir: opt.BlobDir, locks: map[string]*gosync.Mutex{}}
	}
	return s
}

// Caller is who syncs: a technician's account through one tablet, and the
// tablet's clock when it sent the request.
type Caller struct {
	Account    account.Account
	Device     string
	DeviceTime time.Time
}

func (c Caller) actor() orders.Actor { return orders.Actor{Account: c.Account, Device: c.Device} }

// scope is the technician whose change log the caller reads.
func (c Caller) scope() string { return c.actor().Technician() }

var (
	// ErrResync is returned when a cursor is behind the change log's horizon
	// or ahead of its head (a store restored from a backup): the tablet must
	// pull from the empty cursor and rebuild its copy, keeping its pending
	// mutations.
	ErrResync = errors.New("sync: cursor is past the horizon: pull from scratch")
	// ErrUnavailable is returned by Push when the server has no receipt
	// rules, or no readings import for a push of readings or a reader's pull.
	ErrUnavailable = errors.New("sync: receipts are not available on this server")
	// ErrNotFound is returned for an attachment that does not exist or that
	// the caller may not see.
	ErrNotFound = errors.New("sync: not found")
	// ErrTooLarge is returned for an attachment or chunk over its limit.
	ErrTooLarge = errors.New("sync: too large")
	// ErrDigest is returned when a whole attachment's bytes do not have the
	// SHA-256 it was uploaded under; what was received is dropped.
	ErrDigest = errors.New("sync: attachment does not match its SHA-256")
)

// OffsetError is returned for a chunk that does not start where the
// received bytes end, or whose length disagrees with the upload's.
type OffsetError struct {
	Offset int64 // bytes received
	Length int64 // the upload's length (0 before the first chunk)
}

func (e *OffsetError) Error() string { return "sync: chunk does not start at the received length" }

// skewOf is the device clock less the server's; zero when the device said
// no time.
func skewOf(device, server time.Time) time.Duration {
	if device.IsZero() {
		return 0
	}
	return device.Sub(server)
}

// noteDevice stores what a tablet told of itself when it is new, its skew
// moved by more than 500 ms, or it was last stored 10 minutes ago: a pull
// with nothing new stays a read.
func (s *Service) noteDevice(c Caller, skew time.Duration, now time.Time) error {
	s.mu.Lock()
	last, ok := s.seen[c.Device]
	s.mu.Unlock()
	if ok && last.Account == c.Account.ID && (skew-last.Skew).Abs() < 500*time.Millisecond && now.Sub(last.LastSeen) < 10*time.Minute {
		return nil
	}
	d := store.SyncDevice{ID: c.Device, Account: c.Account.ID, LastSeen: now, Skew: skew}
	err := s.opt.Store.Update(func(tx store.Tx) error {
		if old, err := tx.SyncDevice(c.Device); err == nil {
			d.Syncs = old.Syncs
		}
		d.Syncs++
		return tx.PutSyncDevice(d)
	})
	if err == nil {
		s.mu.Lock()
		s.seen[c.Device] = d
		s.mu.Unlock()
	}
	return err
}
