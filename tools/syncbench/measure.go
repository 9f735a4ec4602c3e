package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"meter-sync/sync/client"
	"meter-sync/sync/client/fill"
)

// measureFirst: the first sync of the technician with the most orders,
// then a sync with nothing new.
func (b *bench) measureFirst() error {
	var w wire
	c, err := b.tabletClient(b.big, &w, nil)
	if err != nil {
		return err
	}
	start := time.Now()
	r, err := c.Sync(context.Background())
	if err != nil {
		return err
	}
	took := time.Since(start)
	st := c.Stats()
	fmt.Printf("| measure | round trips | bytes on the wire (in + out) | response bodies | time | goal |\n|---|---|---|---|---|---|\n")
	fmt.Printf("| first sync, %d open orders (%d households) | %d | %d (%.1f KB) | %d (zstd) | %s | ≤ 3 RT, ≤ 80 KB |\n",
		r.Orders, len(b.big.Orders), st.RoundTrips, w.in.Load()+w.out.Load(), float64(w.in.Load()+w.out.Load())/1000,
		st.BytesRecv, took.Round(time.Millisecond))
	w.in.Store(0)
	w.out.Store(0)
	before := c.Stats().RoundTrips
	start = time.Now()
	if _, err := c.Sync(context.Background()); err != nil {
		return err
	}
	took = time.Since(start)
	fmt.Printf("| sync with nothing new | %d | %d (in %d, out %d) | | %s | 1 RT, ≤ 1 KB |\n\n", c.Stats().RoundTrips-before,
		w.in.Load()+w.out.Load(), w.in.Load(), w.out.Load(), took.Round(time.Microsecond))
	return nil
}

// measureMany: every tablet syncs every tablets/rate seconds for the
// duration (after a first sync each), then as fast as it can for 5 s.
func (b *bench) measureMany() error {
	clients := make([]*client.Client, len(b.many))
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for i, t := range b.many {
		c, err := b.tabletClient(t, nil, nil)
		if err != nil {
			return err
		}
		clients[i] = c
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := c.Sync(context.Background()); err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return fmt.Errorf("first syncs: %w", err)
	}
	period := time.Duration(float64(len(clients)) / b.cfg.rate * float64(time.Second))
	b.signal(syscall.SIGUSR1)
	paced := b.runMany(clients, period, b.cfg.duration)
	b.signal(syscall.SIGUSR2)
	flat := b.runMany(clients, 0, 5*time.Second)
	fmt.Printf("| %d tablets | syncs | round trips/s | p50 | p99 | max | errors | goal |\n|---|---|---|---|---|---|---|---|\n", len(clients))
	fmt.Printf("| paced: each every %s, %s | %d | %.0f | %s | %s | %s | %d | ≥ 2,000/s, p99 < 100 ms |\n", period, b.cfg.duration,
		paced.syncs, paced.rate, paced.p50, paced.p99, paced.max, paced.errors)
	fmt.Printf("| flat out: no pause, 5 s | %d | %.0f | %s | %s | %s | %d | |\n\n", flat.syncs, flat.rate, flat.p50, flat.p99,
		flat.max, flat.errors)
	if b.cfg.profile != "" {
		self, _ := os.Executable()
		out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", self, b.cfg.profile).CombinedOutput()
		if err != nil {
			fmt.Printf("pprof: %v\n", err)
		}
		fmt.Printf("Server CPU profile over the paced phase (`go tool pprof -top`):\n\n```\n%s```\n\n", out)
	}
	return nil
}

type manyResult struct {
	syncs, errors int
	rate          float64
	p50, p99, max time.Duration
}

func (b *bench) runMany(clients []*client.Client, period, d time.Duration) manyResult {
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	var trips atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			next := start
			if period > 0 {
				next = start.Add(time.Duration(int64(period) * int64(i) / int64(len(clients))))
			}
			for ctx.Err() == nil {
				if w := time.Until(next); w > 0 {
					select {
					case <-time.After(w):
					case <-ctx.Done():
						continue
					}
				}
				next = next.Add(period)
				before := c.Stats().RoundTrips
				t0 := time.Now()
				_, err := c.Sync(context.Background())
				mine = append(mine, time.Since(t0))
				trips.Add(c.Stats().RoundTrips - before)
				if err != nil {
					errs.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	return manyResult{syncs: len(lat), errors: int(errs.Load()), rate: float64(trips.Load()) / el.Seconds(),
		p50: percentile(lat, 0.5).Round(100 * time.Microsecond), p99: percentile(lat, 0.99).Round(100 * time.Microsecond),
		max: percentile(lat, 1).Round(100 * time.Microsecond)}
}

// measureMonth: a tablet that was offline for 30 days comes back with 50
// receipts and 200 photos, while the office dispatched 100 new orders to
// the technician, voided 3 and reassigned 2 of the 50.
func (b *bench) measureMonth() error {
	clock := time.Now().Add(-30 * 24 * time.Hour)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	var w wire
	c, err := b.tabletClient(b.month, &w, now)
	if err != nil {
		return err
	}
	mu.Lock()
	clock = time.Now()
	mu.Unlock()
	if _, err := c.Sync(context.Background()); err != nil {
		return err
	}
	mu.Lock()
	clock = time.Now().Add(-29 * 24 * time.Hour)
	mu.Unlock()
	orders, _ := c.Store().Orders()
	rng := rand.New(rand.NewPCG(30, 1))
	photos := 0
	var photoBytes int64
	for _, o := range orders {
		cu, _ := c.Store().Customer(o.CustomerID)
		wk, err := fill.Receipt(o.Order, cu, fill.Options{Now: now(), Photos: 4, Rand: rng})
		if err != nil {
			return err
		}
		if _, err := c.Submit(o.ID, wk.Receipt, wk.Attachments); err != nil {
			return err
		}
		photos += len(wk.Attachments)
		for _, a := range wk.Attachments {
			photoBytes += int64(len(a))
		}
	}
	if err := b.office(orders); err != nil {
		return err
	}
	mu.Lock()
	clock = time.Now()
	mu.Unlock()
	w.in.Store(0)
	w.out.Store(0)
	before := c.Stats()
	start := time.Now()
	r, err := c.Sync(context.Background())
	if err != nil {
		return fmt.Errorf("catch-up: %w", err)
	}
	took := time.Since(start)
	st, _ := c.Status()
	after := c.Stats()
	fmt.Printf("| offline 30 days | receipts | photos | round trips | wire in + out | time | result |\n|---|---|---|---|---|---|---|\n")
	fmt.Printf("| catch-up sync | %d pushed | %d (%.1f MB) | %d | %.1f MB | %s | %d applied, %d conflicts (office voided 3, reassigned 2), %d rejected, %d pending, %d photos waiting; %d orders received, %d removed; pull pages %d, no reset |\n\n",
		r.Pushed, photos, float64(photoBytes)/1e6, after.RoundTrips-before.RoundTrips, float64(w.in.Load()+w.out.Load())/1e6,
		took.Round(time.Millisecond), st.Applied, len(st.Conflicts), len(st.Rejected), len(st.Pending), st.Blobs,
		r.Orders, r.Removed, r.Pages)
	return nil
}

// office dispatches 100 new orders to the month technician (through the
// orders API, as the leader), and voids 3 and reassigns 2 of orders.
func (b *bench) office(orders []client.Order) error {
	call := func(method, path string, body any, out any) error {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, b.url+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+b.leader.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		if out != nil {
			return json.NewDecoder(resp.Body).Decode(out)
		}
		return nil
	}
	type order struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	for i := range 100 {
		var o order
		cust := fmt.Sprintf("33%08d", i) // the first technician's households: 通气, so 封表 is allowed
		if err := call("POST", "/api/v1/orders", map[string]any{"customer_id": cust, "business": "封表", "requirement": "欠费封表"}, &o); err != nil {
			return err
		}
		if err := call("POST", "/api/v1/orders/"+o.ID+"/dispatch", map[string]any{"version": o.Version, "technician": "month"}, &o); err != nil {
			return err
		}
	}
	for i, o := range orders[:5] {
		kind, to := "void", ""
		if i >= 3 {
			kind, to = "reassign", "t0000"
		}
		if err := call("POST", "/api/v1/orders/"+o.ID+"/"+kind, map[string]any{"version": o.Version, "technician": to, "note": "班组长调整"}, nil); err != nil {
			return err
		}
	}
	return nil
}
