//go:build unix

package linesim

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// These tests drive lrzsz (apt-get install lrzsz), a real ZMODEM peer, across
// the line; CI installs it, so a missing sz or rz fails rather than skips.

// zmodemResult is one ZMODEM transfer's outcome.
type zmodemResult struct {
	elapsed time.Duration // from starting sz until it exited, the file received
	stats   Stats
}

// efficiency is the file's bytes over what the line could carry meanwhile.
func (r zmodemResult) efficiency(size, baud int) float64 {
	return float64(size) / (r.elapsed.Seconds() * float64(baud) / bitsPerByte)
}

// byeGrace is how long rz may take to exit after sz has. rz waits 10 s, three
// times, for the "OO" that sz writes just before it exits, and a pty often
// loses those two bytes: sz's tcdrain returns at once on a pty (a pty has no
// transmitter to wait for), and its tcflush at exit then discards what the
// kernel has not yet passed to the master side. On a UART tcdrain would wait.
const byeGrace = 2 * time.Second

// sendZMODEM sends data as a file with `sz --zmodem` on end A to `rz` on end
// B of a fresh line with options opt, checks the received file is equal, and
// reports how long the sender took. sz exits successfully only after rz has
// closed the file and acknowledged the end of the session.
func sendZMODEM(tb testing.TB, opt Options, data []byte, timeout time.Duration) zmodemResult {
	tb.Helper()
	for _, prog := range []string{"sz", "rz"} {
		if _, err := exec.LookPath(prog); err != nil {
			tb.Fatalf("%s not found (apt-get install lrzsz): %v", prog, err)
		}
	}
	l, err := New(opt)
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	srcDir, dstDir := tb.TempDir(), tb.TempDir()
	const name = "route.csv"
	if err := os.WriteFile(filepath.Join(srcDir, name), data, 0o644); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rz := onEnd(tb, ctx, l.OpenB, dstDir, "rz", "--binary", "--overwrite")
	start := time.Now()
	sz := onEnd(tb, ctx, l.OpenA, srcDir, "sz", "--zmodem", "--binary", "--overwrite", name)
	szErr := <-sz.done
	res := zmodemResult{elapsed: time.Since(start), stats: l.Stats()}
	if szErr != nil {
		rz.cmd.Process.Kill()
		<-rz.done
		tb.Fatalf("after %v (%+v):\nsz: %v\n%s\nrz:\n%s", res.elapsed, res.stats, szErr, sz.stderr, rz.stderr)
	}
	select {
	case err := <-rz.done:
		if err != nil {
			tb.Fatalf("rz: %v\n%s", err, rz.stderr)
		}
	case <-time.After(byeGrace):
		tb.Logf("rz still waiting for sz's OO %v after sz exited: stopped", byeGrace)
		rz.cmd.Process.Kill()
		<-rz.done
	}
	got, err := os.ReadFile(filepath.Join(dstDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		tb.Fatalf("rz received %d bytes that differ from the %d sent", len(got), len(data))
	}
	return res
}

// program is an lrzsz process with its stdin and stdout on one end.
type program struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error // receives Wait's result
}

// onEnd starts name with args in dir, its stdin and stdout the tty that open
// opens, as when lrzsz runs on a serial port.
func onEnd(tb testing.TB, ctx context.Context, open func() (*os.File, error), dir, name string, args ...string) *program {
	tb.Helper()
	tty, err := open()
	if err != nil {
		tb.Fatal(err)
	}
	// The child has its own copy of the descriptor (exec made it blocking).
	defer tty.Close()
	p := &program{cmd: exec.CommandContext(ctx, name, args...), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd.Dir = dir
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = tty, tty, p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	return p
}

// routeCSV returns size bytes shaped like a route file for a handheld: a
// Chinese header and one row per household, rows alternately in UTF-8 and in
// GBK (as Excel saves them), the mix device/ymodem's tests use. The encoding
// matters to ZMODEM, which escapes some bytes with the high bit set.
func routeCSV(tb testing.TB, size int, seed uint64) []byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, 0))
	streets := []string{"幸福路", "建设大街", "解放北路", "人民东路", "和平里"}
	names := []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄"}
	gbk := simplifiedchinese.GBK.NewEncoder()
	var b bytes.Buffer
	b.WriteString("抄表序号,用户编号,户名,地址,表号,上次读数,上次抄表日期,IC剩余量,备注\r\n")
	for i := 1; b.Len() < size; i++ {
		row := fmt.Sprintf("%d,%010d,%s先生,%s%d号%d单元%d,GM%08d,%.1f,2025-%02d-%02d,%d,\r\n",
			i, 3_200_000_000+r.IntN(1e8), names[r.IntN(len(names))], streets[r.IntN(len(streets))],
			1+r.IntN(200), 1+r.IntN(6), 101+r.IntN(1800), r.IntN(1e8), 1000*r.Float64(), 1+r.IntN(12), 1+r.IntN(28), r.IntN(500))
		if i%2 == 0 {
			var err error
			if row, err = gbk.String(row); err != nil {
				tb.Fatal(err)
			}
		}
		b.WriteString(row)
	}
	return b.Bytes()[:size:size]
}

// TestZMODEMCrossesTheLine sends a 100 KB file with lrzsz at 115,200 baud,
// at once on a clean line and on one with a bit error rate of 1e-5: the file
// arrives equal both times, the clean line near its rate, and the errors
// cost time.
func TestZMODEMCrossesTheLine(t *testing.T) {
	t.Parallel()
	const baud = 115200
	data := routeCSV(t, 100_000, 1)
	lines := []struct {
		name    string
		ber     float64
		timeout time.Duration
	}{
		{"clean", 0, 2 * time.Minute},
		{"BER 1e-5", 1e-5, 5 * time.Minute},
	}
	res := make([]zmodemResult, len(lines))
	t.Run("transfers", func(t *testing.T) {
		for i, ln := range lines {
			t.Run(ln.name, func(t *testing.T) {
				t.Parallel()
				res[i] = sendZMODEM(t, Options{Baud: baud, BitErrorRate: ln.ber, Seed: 1}, data, ln.timeout)
				t.Logf("%v, %.1f %% of line rate, %+v", res[i].elapsed.Round(time.Millisecond),
					100*res[i].efficiency(len(data), baud), res[i].stats)
			})
		}
	})
	if t.Failed() {
		return
	}
	clean, noisy := res[0], res[1]
	if noisy.stats.AB.Flipped == 0 {
		t.Fatalf("no bits flipped on the noisy line; pick another seed")
	}
	if noisy.elapsed <= clean.elapsed {
		t.Errorf("the noisy line took %v, no longer than the clean one's %v", noisy.elapsed, clean.elapsed)
	}
	if e := clean.efficiency(len(data), baud); e < 0.85 || e > 1 {
		t.Errorf("clean transfer at %.1f %% of line rate, want 85-100 %%", 100*e)
	}
}

// BenchmarkZMODEM measures lrzsz's ZMODEM on a 438 KB route file at 115,200
// baud, clean and with a bit error rate of 1e-5 (seed i+1 on iteration i).
// Each transfer takes 40 s or more, so run it with a fixed count:
//
//	go test -run '^$' -bench ZMODEM -benchtime 3x -timeout 1h ./tools/linesim
func BenchmarkZMODEM(b *testing.B) {
	const baud, size = 115200, 438_000
	data := routeCSV(b, size, 1)
	for _, ber := range []float64{0, 1e-5} {
		b.Run(fmt.Sprint("ber=", ber), func(b *testing.B) {
			var total time.Duration
			var flips int64
			n := 0
			for b.Loop() {
				n++
				i := n - 1
				r := sendZMODEM(b, Options{Baud: baud, BitErrorRate: ber, Seed: uint64(i + 1)}, data, 30*time.Minute)
				total += r.elapsed
				flips += r.stats.AB.Flipped + r.stats.BA.Flipped
				b.Logf("seed %d: %v, %.1f %% of line rate, %+v", i+1, r.elapsed.Round(time.Millisecond),
					100*r.efficiency(size, baud), r.stats)
			}
			mean := total / time.Duration(n)
			b.ReportMetric(mean.Seconds(), "s/transfer")
			b.ReportMetric(100*zmodemResult{elapsed: mean}.efficiency(size, baud), "%line")
			b.ReportMetric(float64(flips)/float64(n), "flips/transfer")
		})
	}
}
