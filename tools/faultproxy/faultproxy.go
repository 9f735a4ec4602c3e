// Package faultproxy is an HTTP reverse proxy that makes a network bad on
// purpose, for tests and trials of the tablets' sync: it drops requests,
// drops answers after the server acted on them, delays, duplicates, cuts
// request bodies part-way (the server gets the first bytes, then the
// connection ends) and cuts answers part-way, each at its own rate, chosen
// by a seeded random source so that a run can be repeated. It can also go
// offline altogether, as a tablet that lost its network.
//
//	p, _ := faultproxy.New("http://127.0.0.1:8080", faultproxy.Options{Seed: 7, DropResponse: 0.1})
//	srv := httptest.NewServer(p)   // or: go run ./tools/faultproxy/cmd/faultproxy --target URL
package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"
)

// Options say how bad the network is. Rates are probabilities from 0 to 1,
// drawn once per request in this order: Drop, CutRequest, DropResponse,
// CutResponse, Duplicate (at most one of them), and Delay on its own.
type Options struct {
	// Seed seeds the random source; the same seed and the same requests in
	// the same order give the same faults.
	Seed uint64
	// Drop: the request never reaches the server; the client's connection
	// is closed without an answer.
	Drop float64
	// CutRequest: the server gets the headers and part of the body, then
	// the connection ends; the client gets no answer. A request with no
	// body is dropped instead.
	CutRequest float64
	// DropResponse: the server acts on the request; its answer is lost.
	DropResponse float64
	// CutResponse: the client gets the answer's headers and part of its
	// body, then the connection ends.
	CutResponse float64
	// Duplicate: the server gets the request twice; the client the second
	// answer.
	Duplicate float64
	// DelayRate of the requests wait up to Delay (uniformly) before they
	// are forwarded.
	DelayRate float64
	Delay     time.Duration
	// Match selects the requests that may be faulted; nil means all.
	Match func(*http.Request) bool
	// Logger gets one DEBUG line per fault; nil discards.
	Logger *slog.Logger
}

// Fault kinds, as Stats and the log name them.
const (
	FaultNone         = ""
	FaultDrop         = "drop"
	FaultCutRequest   = "cut-request"
	FaultDropResponse = "drop-response"
	FaultCutResponse  = "cut-response"
	FaultDuplicate    = "duplicate"
	FaultOffline      = "offline"
)

// Stats count what the proxy did.
type Stats struct {
	Requests  int64            // requests received from clients
	Forwarded int64            // requests sent to the server, whole or cut
	Faults    map[string]int64 // by fault kind
	Delayed   int64
	// BodyIn is the request body bytes clients sent; BodyUp what the server got.
	BodyIn, BodyUp int64
}

// Proxy is the faulty network. It is an http.Handler, safe for concurrent use.
type Proxy struct {
	target  *url.URL
	up      *http.Transport
	log     *slog.Logger
	offline atomic.Bool

	mu     gosync.Mutex
	opt    Options
	rng    *rand.Rand
	faults map[string]int64

	requests, forwarded, delayed, bodyIn, bodyUp atomic.Int64
}

// New makes a proxy to the server at target (scheme://host:port).
func New(target string, opt Options) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("faultproxy: target %q is not an http(s) URL", target)
	}
	for _, r := range []float64{opt.Drop, opt.CutRequest, opt.DropResponse, opt.CutResponse, opt.Duplicate, opt.DelayRate} {
		if !(r >= 0 && r <= 1) {
			return nil, fmt.Errorf("faultproxy: rate %v is not between 0 and 1", r)
		}
	}
	p := &Proxy{target: u, log: opt.Logger, faults: map[string]int64{},
		up: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.SetOptions(opt)
	return p, nil
}

// SetOptions changes the rates; the random source is seeded again.
func (p *Proxy) SetOptions(opt Options) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opt = opt
	p.rng = rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
}

// SetOffline makes every request fail as on a tablet with no network
// (true), or the network come back (false).
func (p *Proxy) SetOffline(off bool) { p.offline.Store(off) }

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	f := make(map[string]int64, len(p.faults))
	for k, v := range p.faults {
		f[k] = v
	}
	p.mu.Unlock()
	return Stats{Requests: p.requests.Load(), Forwarded: p.forwarded.Load(), Faults: f, Delayed: p.delayed.Load(),
		BodyIn: p.bodyIn.Load(), BodyUp: p.bodyUp.Load()}
}

// Close lets go of the connections to the server.
func (p *Proxy) Close() { p.up.CloseIdleConnections() }

// plan is what happens to one request.
type plan struct {
	fault string
	delay time.Duration
	cut   float64 // where a cut falls, as a fraction of the body
}

func (p *Proxy) decide(r *http.Request) plan {
	if p.offline.Load() {
		return plan{fault: FaultOffline}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var pl plan
	if p.opt.Match != nil && !p.opt.Match(r) {
		return pl
	}
	x := p.rng.Float64()
	for _, f := range []struct {
		rate float64
		kind string
	}{{p.opt.Drop, FaultDrop}, {p.opt.CutRequest, FaultCutRequest}, {p.opt.DropResponse, FaultDropResponse},
		{p.opt.CutResponse, FaultCutResponse}, {p.opt.Duplicate, FaultDuplicate}} {
		if x < f.rate {
			pl.fault = f.kind
			break
		}
		x -= f.rate
	}
	pl.cut = 0.1 + 0.8*p.rng.Float64()
	if p.opt.DelayRate > 0 && p.rng.Float64() < p.opt.DelayRate && p.opt.Delay > 0 {
		pl.delay = time.Duration(p.rng.Int64N(int64(p.opt.Delay)))
	}
	return pl
}

func (p *Proxy) count(fault string) {
	p.mu.Lock()
	p.faults[fault]++
	p.mu.Unlock()
}

// abort ends the client's connection without (the rest of) an answer.
func abort() { panic(http.ErrAbortHandler) }

// ServeHTTP forwards r to the server through the faults planned for it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		abort()
	}
	p.bodyIn.Add(int64(len(body)))
	pl := p.decide(r)
	if pl.fault == FaultCutRequest && len(body) < 2 {
		pl.fault = FaultDrop
	}
	if pl.fault != FaultNone {
		p.count(pl.fault)
		p.log.Debug("fault", "kind", pl.fault, "method", r.Method, "path", r.URL.Path, "body", len(body))
	}
	if pl.delay > 0 {
		p.delayed.Add(1)
		select {
		case <-time.After(pl.delay):
		case <-r.Context().Done():
			abort()
		}
	}
	switch pl.fault {
	case FaultDrop, FaultOffline:
		abort()
	case FaultCutRequest:
		p.forward(r, body, int(float64(len(body))*pl.cut))
		abort()
	case FaultDuplicate:
		if resp, err := p.forward(r, body, len(body)); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	resp, err := p.forward(r, body, len(body))
	if err != nil {
		http.Error(w, "faultproxy: the server did not answer: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil || pl.fault == FaultDropResponse {
		abort()
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(answer)))
	if pl.fault == FaultCutResponse {
		if len(answer) == 0 {
			abort()
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(answer[:int(float64(len(answer))*pl.cut)])
		w.(http.Flusher).Flush()
		abort()
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

// errCut ends a request body part-way.
var errCut = errors.New("faultproxy: connection cut")

type cutReader struct{ r io.Reader }

func (c cutReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if err == io.EOF {
		return n, errCut
	}
	return n, err
}

// forward sends r with the first n bytes of body to the server; with n
// short of the body the connection is cut after them.
func (p *Proxy) forward(r *http.Request, body []byte, n int) (*http.Response, error) {
	u := *p.target
	u.Path = strings.TrimRight(p.target.Path, "/") + r.URL.Path
	u.RawQuery = r.URL.RawQuery
	var rd io.Reader = bytes.NewReader(body)
	if n < len(body) {
		rd = cutReader{bytes.NewReader(body[:n])}
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), io.NopCloser(rd))
	if err != nil {
		return nil, err
	}
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = nil
	}
	for k, vs := range r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
			continue
		}
		req.Header[k] = vs
	}
	p.forwarded.Add(1)
	p.bodyUp.Add(int64(n))
	return p.up.RoundTrip(req)
}
