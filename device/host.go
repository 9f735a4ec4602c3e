package device

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"meter-sync/access"
	"meter-sync/protocol/dock"
	"meter-sync/store"
	"meter-sync/vee"
)

// Host is the server's side of docking: every port, every handheld and
// every docking mode share one Host. It is safe for concurrent use: several
// handhelds dock at once, each in a session of its own.
type Host struct {
	st     store.Store
	access *access.Service
	opt    Options
}

// Options configure a Host. Zero fields take the defaults documented on
// each.
type Options struct {
	// SpoolDir keeps every readings file a handheld brought, as it came,
	// named by handheld and content digest, and the prefixes of transfers
	// cut off by a pulled cable, so that the next dock resumes them.
	// Required.
	SpoolDir string
	// MaxSkew is the clock difference beyond which a docked handheld's
	// clock is set (DESIGN §5.8, [003:1195-1199]); default 2 s.
	MaxSkew time.Duration
	// Validation are the thresholds imported readings are checked with;
	// nil means vee.DefaultParams(). Its Now is set at each import.
	Validation *vee.Params
	// RouteEncoding is the text encoding of route files sent to generic
	// (YMODEM) handhelds: "" (UTF-8 with a BOM), "utf-8-nobom" or "gbk".
	// The device protocol always sends UTF-8 without a BOM.
	RouteEncoding string
	// Link tunes the device protocol's link (window, payload size, timers);
	// zero fields take the protocol's defaults.
	Link dock.LinkConfig
	// DisableCompression leaves "zstd" out of the capabilities the host
	// offers in HELLO, so that every file goes identity-encoded. It is for
	// measuring the link's own rate, and for handhelds whose decompression
	// misbehaves; the default (false) compresses when it saves.
	DisableCompression bool
	Now                func() time.Time // default time.Now
	Logger             *slog.Logger     // default discards
}

// NewHost makes a Host over st, checking devices with acc.
func NewHost(st store.Store, acc *access.Service, opt Options) (*Host, error) {
	if opt.SpoolDir == "" {
		return nil, errors.New("device: Options.SpoolDir is required")
	}
	for _, dir := range []string{opt.SpoolDir, filepath.Join(opt.SpoolDir, "partial")} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("device: spool: %w", err)
		}
	}
	if opt.MaxSkew == 0 {
		opt.MaxSkew = 2 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Host{st: st, access: acc, opt: opt}, nil
}
