package ymodem

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"meter-sync/internal/ptytest"
)

// The benchmarks move one file over a raw pty with no pacing, so they
// measure the protocols' turnaround, not a baud rate. lrzsz's rb adds about
// 3 s to any transfer (a second before its first 'C', a second of silence
// to believe an EOT, a second before asking for the next header): compare
// the 1-byte and the large runs to see the rate of the data itself. Run
// them with -benchtime 1x: go test -run X -bench . -benchtime 1x.

var benchSizes = []int{1, 4 << 20}

func benchFile(b testing.TB, n int) []byte {
	data := bytes.Repeat([]byte("0712,010101,100234,张三,金桥小区1幢1单元101,通气\n"), n/60+1)
	return data[:n]
}

// BenchmarkSendToRB: our Send on the master, rb on the terminal side.
func BenchmarkSendToRB(b *testing.B) {
	for _, n := range benchSizes {
		for _, turn := range []time.Duration{time.Millisecond, 5 * time.Millisecond} {
			b.Run(fmt.Sprintf("%dB/turnaround=%v", n, turn), func(b *testing.B) {
				data := benchFile(b, n)
				b.SetBytes(int64(n))
				for b.Loop() {
					p := ptytest.Start(b, b.TempDir(), "rb")
					if err := Send(ctxFor(b, 5*time.Minute), p.TTY, []File{{Name: "r.csv", Data: data}}, &Options{Turnaround: turn}); err != nil {
						b.Fatal(err)
					}
					p.Wait(b)
				}
			})
		}
	}
}

// BenchmarkSBToReceive: sb on the terminal side, our Receive on the master.
func BenchmarkSBToReceive(b *testing.B) {
	for _, n := range benchSizes {
		for _, args := range [][]string{{"-k"}, {}} {
			b.Run(fmt.Sprintf("%dB/sb%v", n, args), func(b *testing.B) {
				dir := b.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "r.csv"), benchFile(b, n), 0o644); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(n))
				for b.Loop() {
					p := ptytest.Start(b, dir, "sb", append(args, "r.csv")...)
					if _, err := Receive(ctxFor(b, 5*time.Minute), p.TTY, nil); err != nil {
						b.Fatal(err)
					}
					p.Wait(b)
				}
			})
		}
	}
}

// BenchmarkSBToRB: lrzsz at both ends of one pty, sb on the terminal side,
// rb on the master.
func BenchmarkSBToRB(b *testing.B) {
	// Smaller: on a pty, rb's flush after each ACK races sb's next block
	// and costs 6 s when sb wins.
	for _, n := range []int{1, 256 << 10} {
		b.Run(fmt.Sprintf("%dB/sb-k", n), func(b *testing.B) {
			src := b.TempDir()
			if err := os.WriteFile(filepath.Join(src, "r.csv"), benchFile(b, n), 0o644); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(n))
			for b.Loop() {
				ptytest.NeedPrograms(b, "sb", "rb")
				master, tty := ptytest.OpenRaw(b)
				rb := ptytest.StartOn(b, tty, master, b.TempDir(), "rb")
				sb := ptytest.StartOn(b, master, tty, src, "sb", "-k", "r.csv")
				sb.Wait(b)
				rb.Wait(b)
			}
		})
	}
}

// BenchmarkSendToReceive: ours at both ends of one pty.
func BenchmarkSendToReceive(b *testing.B) {
	for _, n := range benchSizes {
		for _, turn := range []time.Duration{-1, time.Millisecond} {
			b.Run(fmt.Sprintf("%dB/turnaround=%v", n, max(turn, 0)), func(b *testing.B) {
				data := benchFile(b, n)
				b.SetBytes(int64(n))
				for b.Loop() {
					master, tty := ptytest.Open(b)
					// Our own end on the terminal side, opened again to be pollable.
					term, err := os.OpenFile(tty.Name(), os.O_RDWR|syscall.O_NOCTTY, 0)
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { term.Close() })
					errc := make(chan error, 1)
					go func() {
						_, err := Receive(ctxFor(b, 5*time.Minute), term, nil)
						errc <- err
					}()
					if err := Send(ctxFor(b, 5*time.Minute), master, []File{{Name: "r.csv", Data: data}}, &Options{Turnaround: turn}); err != nil {
						b.Fatal(err)
					}
					if err := <-errc; err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
