package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// origin is a server that counts the requests and body bytes it got, and
// echoes the body.
type origin struct {
	requests, complete, bytes atomic.Int64
	done                      chan struct{} // one per request handled
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() { o.done <- struct{}{} }()
	o.requests.Add(1)
	b, err := io.ReadAll(r.Body)
	o.bytes.Add(int64(len(b)))
	if err != nil {
		return
	}
	o.complete.Add(1)
	w.Write(bytes.Repeat(b, 1+1000/(len(b)+1)))
}

func setup(t *testing.T, opt Options) (*origin, *Proxy, string) {
	t.Helper()
	o := &origin{done: make(chan struct{}, 100)}
	up := httptest.NewServer(o)
	t.Cleanup(up.Close)
	p, err := New(up.URL, opt)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	t.Cleanup(func() { front.Close(); p.Close() })
	return o, p, front.URL
}

func post(url string, body []byte) ([]byte, error) {
	resp, err := http.Post(url+"/x", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func TestFaults(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 1000)
	tests := []struct {
		name          string
		opt           Options
		clientErr     bool
		requests      int64 // the origin saw
		completeMax   int64 // of which with a whole body
		bytesAtOrigin func(n int64) bool
	}{
		{"clean", Options{}, false, 1, 1, func(n int64) bool { return n == int64(len(body)) }},
		{"drop", Options{Drop: 1}, true, 0, 0, func(n int64) bool { return n == 0 }},
		{"cut request", Options{CutRequest: 1}, true, 1, 0, func(n int64) bool { return n > 0 && n < int64(len(body)) }},
		{"drop response", Options{DropResponse: 1}, true, 1, 1, func(n int64) bool { return n == int64(len(body)) }},
		{"cut response", Options{CutResponse: 1}, true, 1, 1, func(n int64) bool { return n == int64(len(body)) }},
		{"duplicate", Options{Duplicate: 1}, false, 2, 2, func(n int64) bool { return n == 2*int64(len(body)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, _, url := setup(t, tc.opt)
			got, err := post(url, body)
			if (err != nil) != tc.clientErr {
				t.Fatalf("client: %d bytes, %v; want an error: %v", len(got), err, tc.clientErr)
			}
			for range tc.requests {
				<-o.done // the origin may still be reading what the proxy sent
			}
			if o.requests.Load() != tc.requests || o.complete.Load() > tc.completeMax || !tc.bytesAtOrigin(o.bytes.Load()) {
				t.Errorf("origin saw %d requests, %d whole, %d bytes", o.requests.Load(), o.complete.Load(), o.bytes.Load())
			}
			if !tc.clientErr && !bytes.HasPrefix(got, body) {
				t.Errorf("client got %d bytes, not the echo", len(got))
			}
		})
	}
}

func TestOfflineAndSeed(t *testing.T) {
	o, p, url := setup(t, Options{})
	p.SetOffline(true)
	if _, err := post(url, []byte("x")); err == nil {
		t.Fatal("a request went through while offline")
	}
	p.SetOffline(false)
	if _, err := post(url, []byte("x")); err != nil {
		t.Fatalf("back online: %v", err)
	}
	if o.requests.Load() != 1 {
		t.Errorf("origin saw %d requests, want 1", o.requests.Load())
	}
	run := func(seed uint64) []bool {
		p.SetOptions(Options{Seed: seed, Drop: 0.5})
		var out []bool
		for range 40 {
			_, err := post(url, []byte("y"))
			out = append(out, err != nil)
		}
		return out
	}
	a, b := run(3), run(3)
	drops := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 3 gave different faults at request %d", i)
		}
		if a[i] {
			drops++
		}
	}
	if drops < 8 || drops > 32 {
		t.Errorf("%d of 40 dropped at rate 0.5", drops)
	}
	if s := p.Stats(); s.Faults[FaultDrop] != int64(2*drops) || s.Faults[FaultOffline] != 1 {
		t.Errorf("stats %+v", s)
	}
	if _, err := New("ftp://x", Options{}); err == nil {
		t.Error("an ftp target was taken")
	}
	if _, err := New("http://x", Options{Drop: 2}); err == nil {
		t.Error("a rate of 2 was taken")
	}
}
