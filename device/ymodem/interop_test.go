package ymodem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"meter-sync/internal/ptytest"
	wire "meter-sync/protocol/ymodem"
)

// routeCSV makes a route file of at least n bytes: UTF-8 Chinese rows, the
// same rows in GBK (as Excel saves them), a remark holding the protocol's
// control bytes, and SUB at the very end, which is data, not padding.
func routeCSV(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("\ufeff抄表序号,用户编号,用户姓名,用户地址,表状态,备注\n")
	enc := simplifiedchinese.GBK.NewEncoder()
	for i := 0; b.Len() < n; i++ {
		row := fmt.Sprintf("07%02d%02d%02d,1%05d,张%d,金桥小区%d幢%d单元%d室,通气,", i/400%100, i/20%20+1, i%20+1, i, i, i%30+1, i%4+1, i%6*100+101)
		b.WriteString(row + "正常\n")
		gbk, err := enc.String(row + "门闭\n")
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(gbk)
		if i%500 == 0 {
			b.WriteString("0000,0,控制字符,\x01\x02\x04\x06\x15\x18\x18\x1a,,\n")
		}
	}
	b.WriteString("\x1a\x1a")
	return b.Bytes()
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// logTo returns a logger that writes into buf, for checking what was retried.
func logTo(buf *ptytest.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var modTime = time.Date(2024, 7, 12, 8, 30, 0, 0, time.UTC)

// checkReceivedByRB checks the files rb wrote into dir.
func checkReceivedByRB(t *testing.T, dir string, files []File) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(files) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("rb wrote %q, want %d files", names, len(files))
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Errorf("rb did not write %q: %v", f.Name, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%q: rb got %d bytes, want %d (first difference at %d)", f.Name, len(got), len(f.Data), firstDiff(got, f.Data))
		}
		if st, err := os.Stat(filepath.Join(dir, f.Name)); err == nil && !st.ModTime().Equal(f.ModTime) {
			t.Errorf("%q: rb set mtime %v, want %v from our header", f.Name, st.ModTime(), f.ModTime)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// writeForSB writes files into dir with modTime, for sb to send.
func writeForSB(t *testing.T, dir string, files []File) []string {
	t.Helper()
	var names []string
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, modTime, modTime); err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
	}
	return names
}

func checkReceived(t *testing.T, got []ReceivedFile, want []File) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("received %d files, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.Name || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("file %d: got %q, %d bytes; want %q, %d bytes (first difference at %d)", i, g.Name, len(g.Data), w.Name, len(w.Data), firstDiff(g.Data, w.Data))
		}
		if g.Size != int64(len(w.Data)) || !g.ModTime.Equal(modTime) || g.Mode != 0o100644 {
			t.Errorf("file %d: header said size %d, mtime %v, mode %o", i, g.Size, g.ModTime, g.Mode)
		}
	}
}

// (a) and (c): our Send, lrzsz's rb receiving.
func TestInteropSendToRB(t *testing.T) {
	csv := routeCSV(t, 200_000)
	tests := []struct {
		name  string
		files []File
	}{
		{"one 200 KB route file", []File{{Name: "route-0712.csv", Data: csv, ModTime: modTime}}},
		{"two files in one batch", []File{
			{Name: "抄表路线-0712.csv", Data: csv, ModTime: modTime},
			// All capitals: rb lowercases such a name unless the header's
			// mode says it comes from Unix.
			{Name: "READERS.CSV", Data: csv[:3000], ModTime: modTime},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := ptytest.Start(t, dir, "rb")
			var log ptytest.Buffer
			if err := Send(ctxFor(t, time.Minute), p.TTY, tt.files, &Options{Logger: logTo(&log)}); err != nil {
				t.Fatalf("Send: %v\nrb: %s", err, p.Stderr)
			}
			p.Wait(t)
			checkReceivedByRB(t, dir, tt.files)
		})
	}
}

// (b) and (c): lrzsz's sb sending, our Receive.
func TestInteropSBToReceive(t *testing.T) {
	csv := routeCSV(t, 200_000)
	one := []File{{Name: "readings-0712.csv", Data: csv}}
	two := []File{{Name: "readings-0712.csv", Data: csv}, {Name: "抄表结果.csv", Data: csv[:5000]}}
	tests := []struct {
		name  string
		args  []string
		files []File
	}{
		{"128-byte blocks (sb's default)", nil, one},
		{"1K blocks (sb -k)", []string{"-k"}, one},
		{"two files in one batch", []string{"-k"}, two},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			names := writeForSB(t, dir, tt.files)
			p := ptytest.Start(t, dir, "sb", append(tt.args, names...)...)
			got, err := Receive(ctxFor(t, time.Minute), p.TTY, nil)
			if err != nil {
				t.Fatalf("Receive: %v\nsb: %s", err, p.Stderr)
			}
			p.Wait(t)
			checkReceived(t, got, tt.files)
		})
	}
}

// (d): a byte corrupted on the line is recovered by sending the block again.
func TestInteropCorruption(t *testing.T) {
	csv := routeCSV(t, 200_000)
	files := []File{{Name: "route.csv", Data: csv, ModTime: modTime}}

	t.Run("our Send to rb", func(t *testing.T) {
		dir := t.TempDir()
		p := ptytest.Start(t, dir, "rb")
		line := &corrupter{File: p.TTY, readAt: -1, writeAt: 100_000}
		var log ptytest.Buffer
		if err := Send(ctxFor(t, time.Minute), line, files, &Options{Logger: logTo(&log)}); err != nil {
			t.Fatalf("Send: %v\nrb: %s", err, p.Stderr)
		}
		p.Wait(t)
		if _, w := line.flipped(); !w {
			t.Fatal("no byte was corrupted")
		}
		if !strings.Contains(log.String(), "NAK, sending again") {
			t.Errorf("no retransmission logged:\n%s", log.String())
		}
		checkReceivedByRB(t, dir, files)
	})

	t.Run("sb to our Receive", func(t *testing.T) {
		dir := t.TempDir()
		names := writeForSB(t, dir, files)
		p := ptytest.Start(t, dir, "sb", append([]string{"-k"}, names...)...)
		line := &corrupter{File: p.TTY, readAt: 100_000, writeAt: -1}
		var log ptytest.Buffer
		got, err := Receive(ctxFor(t, time.Minute), line, &Options{Logger: logTo(&log)})
		if err != nil {
			t.Fatalf("Receive: %v\nsb: %s", err, p.Stderr)
		}
		p.Wait(t)
		if r, _ := line.flipped(); !r {
			t.Fatal("no byte was corrupted")
		}
		if !strings.Contains(log.String(), "bad CRC") && !strings.Contains(log.String(), "garbage") {
			t.Errorf("no bad block logged:\n%s", log.String())
		}
		checkReceived(t, got, files)
	})
}

// (e): the peer going away mid-transfer gives a clear error, promptly.
func TestInteropPeerKilled(t *testing.T) {
	csv := routeCSV(t, 400_000)
	tests := []struct {
		name string
		sig  syscall.Signal
		want string // in the error; "" for the cancel or the closed line
	}{
		// rb catches SIGTERM and sends CANs before it exits, but then
		// flushes its output (TCIOFLUSH), so they may never arrive.
		{"rb terminated", syscall.SIGTERM, ""},
		// A killed rb says nothing; its end of the pty closes.
		{"rb killed", syscall.SIGKILL, "reading: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ptytest.Start(t, t.TempDir(), "rb")
			var once sync.Once
			opts := &Options{Progress: func(pr Progress) {
				if pr.Done > 100_000 {
					once.Do(func() { _ = p.Cmd.Process.Signal(tt.sig) })
				}
			}}
			start := time.Now()
			err := Send(ctxFor(t, 40*time.Second), p.TTY, []File{{Name: "route.csv", Data: csv}}, opts)
			took := time.Since(start)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			var e *wire.Error
			if !errors.As(err, &e) || e.File != "route.csv" || e.Block < 1 {
				t.Errorf("error %q does not say which file and block", err)
			}
			if tt.want == "" && !errors.Is(err, wire.ErrCanceled) && !strings.Contains(err.Error(), "reading: ") {
				t.Errorf("error %q, want the cancel or the closed line", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one saying %q", err, tt.want)
			}
			if errors.Is(err, context.DeadlineExceeded) || took > 15*time.Second {
				t.Errorf("took %v to notice (%v)", took, err)
			}
			t.Logf("%v after %v", err, took.Round(time.Millisecond))
		})
	}

	t.Run("sb terminated", func(t *testing.T) {
		dir := t.TempDir()
		names := writeForSB(t, dir, []File{{Name: "readings.csv", Data: csv}})
		p := ptytest.Start(t, dir, "sb", append([]string{"-k"}, names...)...)
		var once sync.Once
		opts := &Options{Progress: func(pr Progress) {
			if pr.Done > 100_000 {
				once.Do(func() { _ = p.Cmd.Process.Signal(syscall.SIGTERM) })
			}
		}}
		start := time.Now()
		files, err := Receive(ctxFor(t, 40*time.Second), p.TTY, opts)
		if err == nil || len(files) != 0 {
			t.Fatalf("Receive gave %d files, error %v", len(files), err)
		}
		if !errors.Is(err, wire.ErrCanceled) && !strings.Contains(err.Error(), "reading: ") {
			t.Errorf("error %q, want the cancel or the closed line", err)
		}
		if took := time.Since(start); errors.Is(err, context.DeadlineExceeded) || took > 15*time.Second {
			t.Errorf("took %v to notice (%v)", took, err)
		}
		t.Logf("%v", err)
	})
}
