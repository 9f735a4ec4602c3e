//go:build unix

package link

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"meter-sync/protocol/dock"
	"meter-sync/tools/linesim"
)

const baud = 115200

// simLine opens a simulated serial line; end A is the handheld's, B the
// server's.
func simLine(t testing.TB, opt linesim.Options) (l *linesim.Line, dev, host *os.File) {
	t.Helper()
	l, err := linesim.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if dev, err = l.OpenA(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	if host, err = l.OpenB(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close() })
	return l, dev, host
}

// Goodput is one measured transfer over a simulated line.
type Goodput struct {
	Bytes    int           // file size
	Took     time.Duration // SendFile, from XFER_BEGIN to XFER_DONE
	LineRate float64       // bytes a second the line carries one way
	Rate     float64       // file bytes a second
	Percent  float64       // Rate as a share of LineRate
	Sender   Stats
}

// MeasureGoodput sends size incompressible bytes from the handheld end to
// the server end of a line with opt (Baud 0 means 115200), compression off,
// with link settings cfg (its Baud taken from opt), and measures the rate.
// Garbage is on the line before the Conns open.
func MeasureGoodput(tb testing.TB, opt linesim.Options, cfg dock.LinkConfig, size int) Goodput {
	tb.Helper()
	if opt.Baud == 0 {
		opt.Baud = baud
	}
	cfg.Baud = opt.Baud
	_, devF, hostF := simLine(tb, opt)
	if _, err := devF.Write(noise(64, 99)); err != nil { // a handheld's boot noise
		tb.Fatal(err)
	}
	dev, host := Open(devF, cfg, Options{}), Open(hostF, cfg, Options{})
	defer dev.Close()
	defer host.Close()
	dev.SetCaps(nil)
	data := noise(size, uint64(size))
	start := time.Now()
	got, _, err := transferOnce(tb, ctxFor(tb, 10*time.Minute), dev, host, data, &MemPartials{})
	took := time.Since(start)
	if err != nil || !bytes.Equal(got, data) {
		tb.Fatalf("transfer: %v, %d of %d bytes", err, len(got), size)
	}
	g := Goodput{Bytes: size, Took: took, LineRate: float64(opt.Baud) / 10, Sender: dev.Stats()}
	g.Rate = float64(size) / took.Seconds()
	g.Percent = 100 * g.Rate / g.LineRate
	return g
}

// TestGoodputOverLine: a clean line carries files at over 90% of its rate;
// at a bit error rate of 1e-5, with garbage first, the file still arrives
// whole, in at most 1.3 times as long as the clean line's best.
func TestGoodputOverLine(t *testing.T) {
	const size = 100 << 10
	ideal := time.Duration(size) * time.Second / (baud / 10)
	for _, tt := range []struct {
		name    string
		ber     float64
		maxTook time.Duration
	}{
		{"clean", 0, ideal * 100 / 90},
		{"BER 1e-5", 1e-5, ideal * 13 / 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := MeasureGoodput(t, linesim.Options{BitErrorRate: tt.ber, Seed: 7}, dock.LinkConfig{}, size)
			t.Logf("%d bytes in %v: %.0f B/s, %.1f%% of line rate; sender %+v", size, g.Took.Round(time.Millisecond), g.Rate, g.Percent, g.Sender.Link)
			if g.Took > tt.maxTook {
				t.Errorf("took %v, want at most %v", g.Took, tt.maxTook)
			}
		})
	}
}

// TestPulledCable: the cable comes out while the handheld sends its
// readings; both sides give up, the server keeping the prefix it had on
// disk; docked again, the transfer resumes from there, and what is sent
// twice is at most one window.
func TestPulledCable(t *testing.T) {
	t.Parallel()
	l, devF, hostF := simLine(t, linesim.Options{Baud: baud, Seed: 3})
	cfg := dock.LinkConfig{Baud: baud}
	parts := DirPartials(t.TempDir())
	data := noise(200<<10, 5)

	dev, host := Open(devF, cfg, Options{}), Open(hostF, cfg, Options{})
	dev.SetCaps(nil)
	ctx, cut := context.WithCancel(ctxFor(t, time.Minute))
	var pulledAt int64
	go func() {
		_, _ = host.RecvFile(ctx, parts, func(dock.XferBegin, []byte) (int, error) { return 0, nil }, func(done, total int64) {
			if pulledAt == 0 && done > total*2/5 {
				pulledAt = done
				l.Pull(4 * time.Second)
				cut() // the docking screen gives up
			}
		})
	}()
	if _, err := dev.SendFile(ctx, OutFile{Kind: dock.KindReadings, Name: "readings.csv", Data: data}, nil); err == nil {
		t.Fatal("first attempt finished through a pulled cable")
	}
	dev.Close()
	host.Close()
	sent1 := dev.Stats().XferSent

	dev, host = Open(devF, cfg, Options{}), Open(hostF, cfg, Options{})
	defer dev.Close()
	defer host.Close()
	dev.SetCaps(nil)
	got, _, err := transferOnce(t, ctxFor(t, 2*time.Minute), dev, host, data, parts)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("second attempt: %v, %d bytes", err, len(got))
	}
	s := dev.Stats()
	resent := sent1 + s.XferSent - int64(len(data))
	window := int64(dock.DefaultWindow * (dock.DefaultMaxPayload - dock.XferDataHeader))
	t.Logf("pulled at %d; first attempt sent %d, resumed at %d, re-sent %d bytes (window %d)", pulledAt, sent1, s.ResumedOffset, resent, window)
	if s.ResumedOffset < pulledAt || resent > window {
		t.Errorf("resumed at %d (pulled at %d), re-sent %d bytes, more than a window (%d)", s.ResumedOffset, pulledAt, resent, window)
	}
}

// BenchmarkGoodput measures file transfer over a simulated 115,200-baud
// line, compression off, for payload sizes and bit error rates; it reports
// the share of the line rate carried (%line). Run it with -benchtime 1x:
//
//	go test ./device/link -run X -bench Goodput -benchtime 1x
func BenchmarkGoodput(b *testing.B) {
	for _, payload := range []int{256, 512, 1024} {
		for _, ber := range []float64{0, 1e-5} {
			b.Run(fmt.Sprintf("payload=%d/ber=%g", payload, ber), func(b *testing.B) {
				const size = 200 << 10
				b.SetBytes(size)
				var pct float64
				for b.Loop() {
					pct = MeasureGoodput(b, linesim.Options{BitErrorRate: ber, Seed: 11}, dock.LinkConfig{MaxPayload: payload}, size).Percent
				}
				b.ReportMetric(pct, "%line")
			})
		}
	}
}
