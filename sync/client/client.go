package client

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"meter-sync/protocol/syncwire"
)

// Options configure a Client; zero values take the default named on each
// field.
type Options struct {
	// BaseURL is the server, e.g. https://meter-sync.example:8443; required.
	BaseURL string
	// Token is the technician's API token (mst_…); required.
	Token string
	// Device is the tablet's id (1-64 of [A-Za-z0-9._-]); required.
	Device string
	// HTTP sends the requests; nil means a client with a 60 s timeout.
	HTTP *http.Client
	// Now is the device's clock; nil means time.Now.
	Now func() time.Time
	// PageLimit is the records asked for in one pull page; 0 means
	// syncwire.MaxPageLimit, so that a first sync takes few round trips.
	PageLimit int
	// PushBatch is the mutations in one push; 0 means syncwire.MaxMutations.
	PushBatch int
	// ChunkSize is the bytes of one attachment chunk; 0 means DefaultChunk.
	ChunkSize int
	// Encoding compresses push bodies: "zstd" (the default), "gzip" or
	// "identity". A server that answers 415 is sent gzip, then identity.
	Encoding string
	// Retries is how many times a request that failed on the network or
	// with a 5xx is sent again; 0 means 6, a negative value none.
	Retries int
	// Backoff is the wait before the first retry, doubled after each (with
	// jitter) up to MaxBackoff; 0 means 250 ms and 15 s.
	Backoff, MaxBackoff time.Duration
	// Logger gets WARN for retried requests; nil discards.
	Logger *slog.Logger
}

// DefaultChunk is the attachment chunk size docs/SYNC.md recommends on
// mobile links: a dropped connection costs at most this much again.
const DefaultChunk = 256 << 10

// Client syncs one tablet's Store with the server. Its methods are safe
// for concurrent use, though one Sync at a time is what a tablet does.
type Client struct {
	opt   Options
	st    Store
	log   *slog.Logger
	now   func() time.Time
	stats counters

	mu       gosync.Mutex // serialises Sync, Push, Upload and Pull
	encoding atomic.Value // string: what push bodies are compressed with
}

// counters are the Client's Stats, kept atomically.
type counters struct {
	roundTrips, retries, sent, received, chunkBytes atomic.Int64
}

// Stats count what a Client sent since it was made.
type Stats struct {
	RoundTrips int64 // HTTP requests that got an answer
	Retries    int64 // requests sent again after a failure
	BytesSent  int64 // request bodies as sent (compressed)
	BytesRecv  int64 // response bodies as received (compressed)
	ChunkBytes int64 // attachment bytes sent in chunks, counting the ones sent again
}

// New makes a Client over st.
func New(st Store, opt Options) (*Client, error) {
	if opt.BaseURL == "" || opt.Token == "" {
		return nil, errors.New("client: the server URL and the token are required")
	}
	if _, err := syncwire.ParseDeviceID(opt.Device); err != nil {
		return nil, fmt.Errorf("client: device id: %w", err)
	}
	opt.BaseURL = strings.TrimRight(opt.BaseURL, "/")
	if opt.HTTP == nil {
		opt.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.PageLimit <= 0 || opt.PageLimit > syncwire.MaxPageLimit {
		opt.PageLimit = syncwire.MaxPageLimit
	}
	if opt.PushBatch <= 0 || opt.PushBatch > syncwire.MaxMutations {
		opt.PushBatch = syncwire.MaxMutations
	}
	if opt.ChunkSize <= 0 {
		opt.ChunkSize = DefaultChunk
	}
	opt.ChunkSize = min(opt.ChunkSize, syncwire.MaxChunk)
	switch opt.Encoding {
	case "":
		opt.Encoding = "zstd"
	case "zstd", "gzip", "identity":
	default:
		return nil, fmt.Errorf("client: unknown encoding %q", opt.Encoding)
	}
	if opt.Retries == 0 {
		opt.Retries = 6
	}
	if opt.Backoff <= 0 {
		opt.Backoff = 250 * time.Millisecond
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 15 * time.Second
	}
	c := &Client{opt: opt, st: st, log: opt.Logger, now: opt.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.encoding.Store(opt.Encoding)
	return c, nil
}

// Store is the Client's store.
func (c *Client) Store() Store { return c.st }

// Stats returns the counts since the Client was made.
func (c *Client) Stats() Stats {
	return Stats{RoundTrips: c.stats.roundTrips.Load(), Retries: c.stats.retries.Load(), BytesSent: c.stats.sent.Load(),
		BytesRecv: c.stats.received.Load(), ChunkBytes: c.stats.chunkBytes.Load()}
}

// APIError is an error answer of the server.
type APIError struct {
	Status int
	Body   syncwire.ErrorBody
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("client: server answered %d: %s", e.Status, e.Body.Error)
	if e.Body.Path != "" {
		s += " (" + e.Body.Path + ")"
	}
	return s
}

// retryable says whether a request that failed with err may succeed if
// sent again: network failures and the server's 5xx.
func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests
	}
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// request is one HTTP request to the sync API.
type request struct {
	method, path string
	header       http.Header
	body         []byte // already encoded as header says
}

// answer is what came back.
type answer struct {
	status int
	header http.Header
	body   []byte // decompressed
}

// retry runs fn until it succeeds, fails with an error not worth retrying,
// or the retries are spent, waiting with exponential backoff between tries.
func (c *Client) retry(ctx context.Context, what string, fn func() error) error {
	wait := c.opt.Backoff
	for try := 0; ; try++ {
		err := fn()
		if err == nil || !retryable(err) || try >= c.opt.Retries {
			return err
		}
		c.stats.retries.Add(1)
		d := wait/2 + rand.N(wait/2+1)
		c.log.Warn("sync request failed; retrying", "what", what, "try", try+1, "wait", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, c.opt.MaxBackoff)
	}
}

// do sends one request and reads its answer; an answer of 400 or more is
// an *APIError.
func (c *Client) do(ctx context.Context, r request) (answer, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.opt.BaseURL+r.path, body)
	if err != nil {
		return answer{}, err
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.opt.Token)
	req.Header.Set(syncwire.HeaderDevice, c.opt.Device)
	req.Header.Set(syncwire.HeaderVersion, strconv.Itoa(syncwire.Version))
	req.Header.Set(syncwire.HeaderTime, c.now().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	req.Header.Set("Accept-Encoding", "zstd, gzip")
	req.Header.Set("User-Agent", "tablet/1") // shorter than Go's: a sync with nothing new stays under 1 KB
	c.stats.sent.Add(int64(len(r.body)))
	resp, err := c.opt.HTTP.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return answer{}, fmt.Errorf("client: reading the answer to %s %s: %w", r.method, r.path, err)
	}
	c.stats.roundTrips.Add(1)
	c.stats.received.Add(int64(len(raw)))
	a := answer{status: resp.StatusCode, header: resp.Header}
	if a.body, err = decompress(resp.Header.Get("Content-Encoding"), raw); err != nil {
		return a, fmt.Errorf("client: the answer to %s %s: %w", r.method, r.path, err)
	}
	if a.status >= 400 {
		ae := &APIError{Status: a.status}
		if json.Unmarshal(a.body, &ae.Body) != nil || ae.Body.Error == "" {
			ae.Body.Error = http.StatusText(a.status)
		}
		return a, ae
	}
	return a, nil
}

// zstdDec and zstdEnc are shared: DecodeAll and EncodeAll are safe for
// concurrent use.
var (
	zstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(64<<20))
	zstdEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
)

func decompress(enc string, b []byte) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "", "identity":
		return b, nil
	case "zstd":
		return zstdDec.DecodeAll(b, nil)
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	}
	return nil, fmt.Errorf("unknown Content-Encoding %q", enc)
}

func compress(enc string, b []byte) []byte {
	switch enc {
	case "zstd":
		return zstdEnc.EncodeAll(b, nil)
	case "gzip":
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	return b
}

// postJSON posts v compressed as the server takes it, falling back from
// zstd to gzip to identity on 415.
func (c *Client) postJSON(ctx context.Context, path string, raw []byte) (answer, error) {
	for {
		enc := c.encoding.Load().(string)
		h := http.Header{"Content-Type": {"application/json"}}
		if enc != "identity" {
			h.Set("Content-Encoding", enc)
		}
		a, err := c.do(ctx, request{method: http.MethodPost, path: path, header: h, body: compress(enc, raw)})
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusUnsupportedMediaType && enc != "identity" {
			next := map[string]string{"zstd": "gzip", "gzip": "identity"}[enc]
			c.encoding.CompareAndSwap(enc, next)
			continue
		}
		return a, err
	}
}
