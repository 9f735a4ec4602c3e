//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"meter-sync/device"
	"meter-sync/protocol/dock"
	"meter-sync/tools/linesim"
)

// routeStep is the docking step that sends the route (device.Progress).
const routeStep = "导出抄表路线"

// dockTimeout bounds one dock; a clean one at 115,200 baud takes seconds,
// one without compression under a minute.
const dockTimeout = 10 * time.Minute

// linkConfig is the host's link settings on a line of baud (0: unpaced).
func linkConfig(baud int) dock.LinkConfig { return dock.LinkConfig{Baud: baud} }

// window is the transfer bytes one window of frames carries with the
// default link settings: window × (max payload − the XFER_DATA header).
func window() int64 { return dock.DefaultWindow * (dock.DefaultMaxPayload - dock.XferDataHeader) }

// dockRun is one measured dock.
type dockRun struct {
	took     time.Duration // Host.Dock, HELLO to BYE
	transfer time.Duration // the route step's first to last progress callback
	rep      device.Report
	stream   int64  // bytes of the route's encoded stream
	handheld string // the emulator's log
	line     linesim.Stats
}

// dockSpec says how to dock.
type dockSpec struct {
	plain bool    // compression off
	ber   float64 // bit error rate of the line
	seed  uint64  // the line's error pattern
	// em is the handheld; nil for a fresh one.
	em *emulator
	// ctx, when set, is the dock's context (cancelled to cut it off).
	ctx context.Context
	// progress, when set, sees the route step's progress on the line.
	progress func(l *linesim.Line, done, total int64)
}

// host returns the host for compression on or off, made once.
func (b *bench) host(plain bool) (*device.Host, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h := b.hosts[plain]; h != nil {
		return h, nil
	}
	spool := filepath.Join(b.dir, fmt.Sprintf("spool-plain-%v", plain))
	h, err := b.city.host(spool, b.cfg.baud, plain)
	if err != nil {
		return nil, err
	}
	b.hosts[plain] = h
	return h, nil
}

// prepared is a dock ready to start: the line, the emulator waiting on it
// and the host's end open.
type prepared struct {
	spec dockSpec
	line *linesim.Line
	ses  *session
	port *os.File
}

// prepare makes a line, starts the emulator on it and opens the host's end.
func (b *bench) prepare(spec dockSpec) (*prepared, error) {
	var err error
	if spec.em == nil {
		if spec.em, err = b.newEmulator(); err != nil {
			return nil, err
		}
	}
	l, err := linesim.New(linesim.Options{Baud: b.cfg.baud, BitErrorRate: spec.ber, Seed: spec.seed})
	if err != nil {
		return nil, err
	}
	ses, err := spec.em.dock(l.B(), b.cfg.baud)
	if err != nil {
		l.Close()
		return nil, err
	}
	port, err := l.OpenA()
	if err != nil {
		ses.kill()
		l.Close()
		return nil, err
	}
	return &prepared{spec: spec, line: l, ses: ses, port: port}, nil
}

func (p *prepared) close() {
	p.port.Close()
	p.line.Close()
}

// run docks: a route export to the emulator, timed.
func (b *bench) run(p *prepared) (dockRun, error) {
	h, err := b.host(p.spec.plain)
	if err != nil {
		return dockRun{}, err
	}
	ctx := p.spec.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, dockTimeout)
	defer cancel()
	var (
		r            dockRun
		first, last  time.Time
		progressOnce sync.Once
	)
	job := device.Job{Export: true, Cycle: b.city.cycle, Expect: -1, Progress: func(pr device.Progress) {
		if pr.Step != routeStep {
			return
		}
		now := time.Now()
		progressOnce.Do(func() { first = now })
		last, r.stream = now, pr.Total
		if p.spec.progress != nil {
			p.spec.progress(p.line, pr.Done, pr.Total)
		}
	}}
	start := time.Now()
	r.rep, err = h.Dock(ctx, p.port, job)
	r.took = time.Since(start)
	r.transfer = last.Sub(first)
	if err != nil {
		return r, fmt.Errorf("dock: %w\nhandheld: %s", err, tail(p.ses.stderr.String(), 2000))
	}
	err = p.ses.wait(30 * time.Second)
	r.handheld, r.line = p.ses.stderr.String(), p.line.Stats()
	if err != nil {
		return r, fmt.Errorf("the handheld's side: %w\n%s", err, tail(p.ses.stderr.String(), 2000))
	}
	if x := r.rep.Export; x == nil || x.Handheld != b.city.route {
		return r, fmt.Errorf("the handheld loaded %+v, want %d households", x, b.city.route)
	}
	return r, nil
}

// dockOnce prepares a dock, runs it and cleans up.
func (b *bench) dockOnce(spec dockSpec) (dockRun, error) {
	p, err := b.prepare(spec)
	if err != nil {
		return dockRun{}, err
	}
	defer p.close()
	return b.run(p)
}

// dockMany docks n handhelds at once on n lines, each with its own
// emulator, through one Host, and returns the wall time until the last
// is done.
func (b *bench) dockMany(n int) (time.Duration, error) {
	ps := make([]*prepared, 0, n)
	defer func() {
		for _, p := range ps {
			p.close()
		}
	}()
	for range n {
		p, err := b.prepare(dockSpec{seed: 1})
		if err != nil {
			return 0, err
		}
		ps = append(ps, p)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i, p := range ps {
		wg.Go(func() { _, errs[i] = b.run(p) })
	}
	wg.Wait()
	took := time.Since(start)
	for i, err := range errs {
		if err != nil {
			return took, fmt.Errorf("handheld %d of %d: %w", i+1, n, err)
		}
	}
	return took, nil
}
