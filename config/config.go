// Package config is meter-sync's server configuration: one TOML file in which
// every key has a default, and every business threshold is such a key, never a
// constant in code (DESIGN §5, STYLE "Logging and configuration").
//
// meter-sync.example.toml documents every key at its default, with its source;
// a test keeps that file equal to Default, so the documentation cannot drift
// from the code. Citations such as [003:843] point into the sources of
// DOMAIN.md (file 003, line 843).
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole server configuration; Default gives every default.
type Config struct {
	Server     Server     `toml:"server"`
	Store      Store      `toml:"store"`
	Log        Log        `toml:"log"`
	Import     Import     `toml:"import"`
	Validation Validation `toml:"validation"`
	Clock      Clock      `toml:"clock"`
	Cycle      Cycle      `toml:"cycle"`
	Calendar   Calendar   `toml:"calendar"`
	Orders     Orders     `toml:"orders"`
	Sync       Sync       `toml:"sync"`
	Auth       Auth       `toml:"auth"`
}

// Auth configures sign-in, sessions, API tokens and password hashing.
type Auth struct {
	// HashMemoryKiB is argon2id's memory cost per password check, in KiB.
	HashMemoryKiB int `toml:"hash_memory_kib"`
	// HashTime is argon2id's number of passes; with the memory it sets how
	// long a sign-in takes (50-250 ms on the server: BENCHMARKS.md).
	HashTime int `toml:"hash_time"`
	// HashThreads is argon2id's parallelism.
	HashThreads int `toml:"hash_threads"`
	// SessionLifetime is how long a browser stays signed in, at most.
	SessionLifetime Duration `toml:"session_lifetime"`
	// SessionIdle signs a browser out after this long without a request.
	SessionIdle Duration `toml:"session_idle"`
	// TokenLifetime is how long a new API token works; "0s" never expires.
	TokenLifetime Duration `toml:"token_lifetime"`
	// MaxFailures failed sign-ins within FailureWindow lock the account, and
	// separately the address they came from, for Lockout.
	MaxFailures int `toml:"max_failures"`
	// FailureWindow is the window in which failures are counted.
	FailureWindow Duration `toml:"failure_window"`
	// Lockout is how long a locked account or address must wait.
	Lockout Duration `toml:"lockout"`
}

// Server configures the HTTP listener (JSON API, back-office UI, tablet sync).
type Server struct {
	// Addr is the TCP address to listen on, host:port; ":8080" listens on
	// every interface.
	Addr string `toml:"addr"`
	// ReadTimeout bounds reading one request, headers and body. Each upload
	// (a readings file, a photo or a chunk of one) must arrive within it on
	// the slowest link a tablet uses.
	ReadTimeout Duration `toml:"read_timeout"`
	// WriteTimeout bounds writing one response; it is long because route
	// exports and first syncs are large downloads over slow links.
	WriteTimeout Duration `toml:"write_timeout"`
	// ShutdownGrace is how long a stopping server lets requests in flight
	// finish before it closes them.
	ShutdownGrace Duration `toml:"shutdown_grace"`
	// TLSCert is the PEM certificate file; set it and TLSKey to serve HTTPS,
	// leave both empty to serve plain HTTP.
	TLSCert string `toml:"tls_cert"`
	// TLSKey is the PEM private-key file that goes with TLSCert.
	TLSKey string `toml:"tls_key"`
}

// Store configures the embedded database (bbolt, DESIGN §1).
type Store struct {
	// File is the database file; a relative path is taken relative to the
	// data directory.
	File string `toml:"file"`
	// OpenTimeout is how long a command waits for the file lock before it
	// reports that the store is in use (by a running server, say).
	OpenTimeout Duration `toml:"open_timeout"`
}

// Log configures the server's log/slog output.
type Log struct {
	// Level is the least severe level written: debug, info, warn or error.
	Level string `toml:"level"`
	// Format is text (logfmt-like, for people) or json (for collectors).
	Format string `toml:"format"`
}

// Import configures interchange-file import (DESIGN §6).
type Import struct {
	// Encoding is the text encoding of CSV files: auto (UTF-8, with or without
	// BOM, else GBK), utf-8 or gbk. Excel often saves Chinese CSVs as GBK.
	Encoding string `toml:"encoding"`
	// RouteEncoding is the text encoding of the route files written for
	// file-based and generic (YMODEM) handhelds: utf-8-bom (as Excel
	// wants), utf-8 or gbk (DESIGN §6). The device protocol always sends
	// UTF-8.
	RouteEncoding string `toml:"route_encoding"`
}

// Validation holds the thresholds of reading validation (VEE), DESIGN §5.1-5.2.
// Volumes are in cubic metres (立方/方); months are calendar months, not
// readings (a household is read every MonthsPerCycle months).
type Validation struct {
	// LargeVolumeFactor: a cycle's consumption is 大额方数 (LARGE_VOLUME) when
	// it exceeds this many times the household's baseline and also
	// LargeVolumeMinM3PerMonth per month of the cycle. The 3× comes from the
	// gas-ticket rule [003:843]; DESIGN §5.1.
	LargeVolumeFactor float64 `toml:"large_volume_factor"`
	// LargeVolumeMinM3PerMonth is the floor below which no consumption is
	// large, per month of the cycle, so small households going from 2 to 8 m³
	// are not flagged (DESIGN §5.1). 0 means no floor.
	LargeVolumeMinM3PerMonth float64 `toml:"large_volume_min_m3_per_month"`
	// LargeVolumeCapM3PerCycle flags a residential cycle's consumption above
	// it as 大额方数 whatever the baseline (DESIGN §5.1).
	LargeVolumeCapM3PerCycle float64 `toml:"large_volume_cap_m3_per_cycle"`
	// BaselineMonths is how many months of a household's latest history its
	// average monthly use is taken over (DESIGN §5.1). The baseline is the
	// larger of that average and the same cycle a year ago, so winter heating
	// (壁挂炉) is not flagged every January.
	BaselineMonths int `toml:"baseline_months"`
	// MinHistoryMonths: a household with less history than this is compared
	// with the median of its estate and building type (DESIGN §5.1).
	MinHistoryMonths int `toml:"min_history_months"`
	// ICToleranceM3 is the largest |purchased − (remaining + used)| of an IC
	// meter that is not IC卡余量不符 (IC_MISMATCH); the source compares for
	// equality [003:1585-1589], DESIGN §5.2 allows 1 m³.
	ICToleranceM3 float64 `toml:"ic_tolerance_m3"`
	// ZeroStreakMonths is how many months of zero use make 连续零用量
	// (ZERO_STREAK, info), DESIGN §5.2.
	ZeroStreakMonths int `toml:"zero_streak_months"`
	// RolloverMarginFraction: a reading below the previous one is a plausible
	// dial wrap (表盘翻转, ROLLOVER) only when the previous reading was within
	// this fraction of the dial's capacity (10^digits) of its top, i.e.
	// previous ≥ (1 − fraction) × capacity; otherwise it is 读数倒退
	// (NEGATIVE). DESIGN §5.2; "rollover accepted only within a threshold of
	// the register's capacity" (Oracle MDM, ANCHORS.md). At most 0.5, beyond
	// which a backward step of less than half the dial would pass as a wrap.
	RolloverMarginFraction float64 `toml:"rollover_margin_fraction"`
	// SecondIgnitionIdleMonths: a 通气 meter with no gas use for more than
	// this many months may be accepted for 二次点火 ("超过3个月没用气" [003:905]).
	SecondIgnitionIdleMonths int `toml:"second_ignition_idle_months"`
}

// Clock configures handheld clock correction (DESIGN §5.8, [003:1195-1199]).
type Clock struct {
	// MaxSkew: a docked handheld whose clock differs from the server's by more
	// than this is corrected before any transfer, and the skew is recorded.
	MaxSkew Duration `toml:"max_skew"`
}

// Cycle configures the reading cycle (DESIGN §5.4, §5.7; DOMAIN §2.4).
type Cycle struct {
	// MonthsPerCycle is how often each household is read. 2 splits
	// households into odd- and even-month groups (单月/双月 [003:1205]).
	MonthsPerCycle int `toml:"months_per_cycle"`
	// IgnitionWindowStartDay is the day (2 to 28) of the previous month on
	// which the window for counting ignitions (点火) opens; the count feeds
	// new households into next month's routes [003:1273-1279].
	IgnitionWindowStartDay int `toml:"ignition_window_start_day"`
	// IgnitionWindowEndDay is the day of this month on which it closes
	// (inclusive); it must be the day before IgnitionWindowStartDay so that
	// consecutive windows neither overlap nor leave a gap.
	IgnitionWindowEndDay int `toml:"ignition_window_end_day"`
	// ExportDay is the day of the month routes are exported to handhelds
	// for next month's reading: "last" [003:1203-1205], or "1" to "28".
	ExportDay string `toml:"export_day"`
}

// Calendar is the working-day calendar used to count commitment windows
// (DESIGN §5.12). Dates are civil dates written YYYY-MM-DD (DateLayout).
type Calendar struct {
	// Holidays are the days off that are not weekends, and may include the
	// weekend days inside a holiday (放假).
	Holidays []string `toml:"holidays"`
	// ExtraWorkdays are weekend days that are working days (调休上班).
	ExtraWorkdays []string `toml:"extra_workdays"`
}

// DateLayout is the layout of Calendar dates, for time.Parse.
const DateLayout = "2006-01-02"

// Orders configures work orders (派工单), DOMAIN §4.
type Orders struct {
	// CommitmentDays is the promised completion time per business type.
	CommitmentDays CommitmentDays `toml:"commitment_days"`
	// ReceiptTimeTolerance is how far beyond the server's clock a receipt's
	// times (到场, 实施, 离开) may be before they are refused: a tablet's
	// clock drifts, and the sync corrects it only by the skew it measured.
	ReceiptTimeTolerance Duration `toml:"receipt_time_tolerance"`
}

// Sync configures the tablets' delta sync (docs/SYNC.md).
type Sync struct {
	// RemovalHorizon is how long a removal (an order voided or reassigned
	// away) stays in a technician's change log; a tablet that has not
	// synced for longer is told to sync again from scratch, never left
	// holding what was removed.
	RemovalHorizon Duration `toml:"removal_horizon"`
}

// CommitmentDays is the commitment window (the completion time promised to
// the customer) per business type, in working days counted from the next
// day (自次日起), DOMAIN §4.3. Windows exclude the customer's own
// appointment and special circumstances.
type CommitmentDays struct {
	Install      int `toml:"install"`       // 安装: 5 [003:659]
	Modify       int `toml:"modify"`        // 改装: 5 [003:725]
	Ignite       int `toml:"ignite"`        // 点火 (also 统一装表 households): 3 [003:725, 889]
	Reignite     int `toml:"reignite"`      // 二次点火: 3 [003:911]
	Seal         int `toml:"seal"`          // 封表: 3 [003:949]
	Unseal       int `toml:"unseal"`        // 启封: 3 [003:975]
	MeterTest    int `toml:"meter_test"`    // 校表 (removal for the test): 5 [003:1017]
	HoseOther    int `toml:"hose_other"`    // 换波纹管/其它: 5 [003:1051]
	Remove       int `toml:"remove"`        // 拆表: 5, our decision (DOMAIN §7.15)
	Exchange     int `toml:"exchange"`      // 换表: 5, our decision (DOMAIN §7.15)
	BulkExchange int `toml:"bulk_exchange"` // 统一换表: 5, our decision (DOMAIN §7.15)
	Regulator    int `toml:"regulator"`     // 更换调压器: 5, our decision (DOMAIN §7.15)
	Rectify      int `toml:"rectify"`       // 隐患整改: 5, our decision (DOMAIN §7.15)
}

// commitment is one business type's window with its TOML key and its
// Chinese name.
type commitment struct {
	key  string // TOML key under orders.commitment_days
	name string // business type (业务) as DOMAIN §4.3 names it
	days int
}

// list is the one place that pairs fields with keys and Chinese names.
func (d CommitmentDays) list() []commitment {
	return []commitment{
		{"install", "安装", d.Install},
		{"modify", "改装", d.Modify},
		{"ignite", "点火", d.Ignite},
		{"reignite", "二次点火", d.Reignite},
		{"seal", "封表", d.Seal},
		{"unseal", "启封", d.Unseal},
		{"meter_test", "校表", d.MeterTest},
		{"hose_other", "换波纹管/其它", d.HoseOther},
		{"remove", "拆表", d.Remove},
		{"exchange", "换表", d.Exchange},
		{"bulk_exchange", "统一换表", d.BulkExchange},
		{"regulator", "更换调压器", d.Regulator},
		{"rectify", "隐患整改", d.Rectify},
	}
}

// ByType returns the windows keyed by business type as DOMAIN §4.3 names it
// (安装, 改装, 点火, 二次点火, 封表, 启封, 校表, 换波纹管/其它, 拆表, 换表, 统一换表,
// 更换调压器, 隐患整改).
func (d CommitmentDays) ByType() map[string]int {
	m := make(map[string]int)
	for _, c := range d.list() {
		m[c.name] = c.days
	}
	return m
}

// Default returns the configuration with every default; each call returns
// fresh slices.
func Default() Config {
	return Config{
		Server: Server{
			Addr:          ":8080",
			ReadTimeout:   Duration{30 * time.Second},
			WriteTimeout:  Duration{5 * time.Minute},
			ShutdownGrace: Duration{30 * time.Second},
		},
		Store:  Store{File: "meter-sync.db", OpenTimeout: Duration{500 * time.Millisecond}},
		Log:    Log{Level: "info", Format: "text"},
		Import: Import{Encoding: "auto", RouteEncoding: "utf-8-bom"},
		Validation: Validation{
			LargeVolumeFactor:        3,
			LargeVolumeMinM3PerMonth: 30,
			LargeVolumeCapM3PerCycle: 500,
			BaselineMonths:           6,
			MinHistoryMonths:         3,
			ICToleranceM3:            1,
			ZeroStreakMonths:         3,
			RolloverMarginFraction:   0.1,
			SecondIgnitionIdleMonths: 3,
		},
		Clock: Clock{MaxSkew: Duration{2 * time.Second}},
		Cycle: Cycle{
			MonthsPerCycle:         2,
			IgnitionWindowStartDay: 26,
			IgnitionWindowEndDay:   25,
			ExportDay:              "last",
		},
		Calendar: Calendar{Holidays: holidays2026(), ExtraWorkdays: extraWorkdays2026()},
		Orders: Orders{CommitmentDays: CommitmentDays{
			Install: 5, Modify: 5, Ignite: 3, Reignite: 3, Seal: 3, Unseal: 3,
			MeterTest: 5, HoseOther: 5,
			Remove: 5, Exchange: 5, BulkExchange: 5, Regulator: 5, Rectify: 5,
		}, ReceiptTimeTolerance: Duration{5 * time.Minute}},
		Sync: Sync{RemovalHorizon: Duration{90 * 24 * time.Hour}},
		Auth: Auth{
			HashMemoryKiB: 64 * 1024, HashTime: 3, HashThreads: 2,
			SessionLifetime: Duration{12 * time.Hour}, SessionIdle: Duration{2 * time.Hour},
			TokenLifetime: Duration{365 * 24 * time.Hour},
			MaxFailures:   5, FailureWindow: Duration{15 * time.Minute}, Lockout: Duration{15 * time.Minute},
		},
	}
}

// holidays2026 are China's public holidays of 2026, every day off of each
// (State Council General Office notice of 2025-11-04,
// "国务院办公厅关于2026年部分节假日安排的通知").
func holidays2026() []string {
	return []string{
		"2026-01-01", "2026-01-02", "2026-01-03", // 元旦
		"2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
		"2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23", // 春节
		"2026-04-04", "2026-04-05", "2026-04-06", // 清明节
		"2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", // 劳动节
		"2026-06-19", "2026-06-20", "2026-06-21", // 端午节
		"2026-09-25", "2026-09-26", "2026-09-27", // 中秋节
		"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",
		"2026-10-05", "2026-10-06", "2026-10-07", // 国庆节
	}
}

// extraWorkdays2026 are the weekend working days (调休上班) of the same notice.
func extraWorkdays2026() []string {
	return []string{
		"2026-01-04",               // 元旦
		"2026-02-14", "2026-02-28", // 春节
		"2026-05-09",               // 劳动节
		"2026-09-20", "2026-10-10", // 国庆节
	}
}

// Load reads the TOML file at path over the defaults and validates the
// result. A missing file is an error (errors.Is(err, fs.ErrNotExist));
// callers decide whether a missing optional file is fine.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// Parse is Load from bytes; name is used in messages. It rejects unknown
// keys, and a Config it returns without error has passed Validate.
func Parse(data []byte, name string) (Config, error) {
	c := Default()
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return Config{}, &decodeError{name: name, err: err}
	}
	if err := unknownKeys(md.Undecoded(), name); err != nil {
		return Config{}, err
	}
	if err := c.validate(name + ": "); err != nil {
		return Config{}, err
	}
	return c, nil
}

// unknownKeys reports each undecoded key, except those inside an unknown
// table, which is reported itself.
func unknownKeys(keys []toml.Key, name string) error {
	unknown := make(map[string]bool, len(keys))
	for _, k := range keys {
		unknown[k.String()] = true
	}
	var errs []error
	for _, k := range keys {
		if !unknown[k[:len(k)-1].String()] {
			errs = append(errs, fmt.Errorf("config: %s: unknown key %q", name, k.String()))
		}
	}
	return errors.Join(errs...)
}

// decodeError is a TOML syntax or type error; the toml library's message
// names the line and the key where it knows them.
type decodeError struct {
	name string
	err  error
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("config: %s: %s", e.name, strings.TrimPrefix(e.err.Error(), "toml: "))
}

func (e *decodeError) Unwrap() error { return e.err }

//go:embed meter-sync.example.toml
var example []byte

// Example returns the documented example file, every key at its default.
func Example() []byte {
	return append([]byte(nil), example...)
}
