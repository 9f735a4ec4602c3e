package ymodem

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	wire "meter-sync/protocol/ymodem"
)

// pair runs Send and Receive against each other over net.Pipe.
func pair(t *testing.T, files []File, sendOpts, recvOpts *Options) (sendErr error, got []ReceivedFile, recvErr error) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	ctx := ctxFor(t, 30*time.Second)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		got, recvErr = Receive(ctx, b, recvOpts)
	}()
	sendErr = Send(ctx, a, files, sendOpts)
	wg.Wait()
	return sendErr, got, recvErr
}

func TestSendReceive(t *testing.T) {
	csv := routeCSV(t, 100_000)
	files := []File{
		{Name: "empty.csv", ModTime: modTime},
		{Name: "route.csv", Reader: bytes.NewReader(csv), Size: int64(len(csv)), ModTime: modTime},
		{Name: "抄表结果.csv", Data: csv[:5000], ModTime: modTime},
	}
	var mu sync.Mutex
	var sent, recvd []Progress
	sendOpts := &Options{Progress: func(p Progress) { mu.Lock(); sent = append(sent, p); mu.Unlock() }}
	recvOpts := &Options{Progress: func(p Progress) { mu.Lock(); recvd = append(recvd, p); mu.Unlock() }}
	sendErr, got, recvErr := pair(t, files, sendOpts, recvOpts)
	if sendErr != nil || recvErr != nil {
		t.Fatalf("send: %v; receive: %v", sendErr, recvErr)
	}
	checkReceived(t, got, []File{{Name: "empty.csv"}, {Name: "route.csv", Data: csv}, {Name: "抄表结果.csv", Data: csv[:5000]}})

	total := int64(len(csv) + 5000)
	for name, ps := range map[string][]Progress{"send": sent, "receive": recvd} {
		last := ps[len(ps)-1]
		if last.BatchDone != total || last.Index != 2 || last.Done != 5000 || last.Total != 5000 {
			t.Errorf("%s: last progress %+v", name, last)
		}
		for i := 1; i < len(ps); i++ {
			if ps[i].BatchDone < ps[i-1].BatchDone {
				t.Errorf("%s: progress goes back: %+v after %+v", name, ps[i], ps[i-1])
			}
		}
	}
	if sent[len(sent)-1].BatchTotal != total {
		t.Errorf("send: batch total %d, want %d", sent[len(sent)-1].BatchTotal, total)
	}
}

func TestReceiveTooLarge(t *testing.T) {
	sendErr, got, recvErr := pair(t, []File{{Name: "big.csv", Data: make([]byte, 5000)}}, nil, &Options{Receive: wire.ReceiverConfig{MaxFileSize: 4096}})
	if !errors.Is(sendErr, wire.ErrCanceled) {
		t.Errorf("send: %v, want the receiver's cancel", sendErr)
	}
	if recvErr == nil || recvErr.Error() != `ymodem: "big.csv": header: refused: 5000 bytes are over the 4096-byte limit` || len(got) != 0 {
		t.Errorf("receive: %d files, %v", len(got), recvErr)
	}
}

func TestSendSourceShort(t *testing.T) {
	files := []File{{Name: "route.csv", Reader: strings.NewReader("only this"), Size: 5000}}
	sendErr, _, recvErr := pair(t, files, nil, nil)
	if sendErr == nil || !strings.Contains(sendErr.Error(), "reading the file at byte 9 of 5000: unexpected EOF") {
		t.Errorf("send: %v", sendErr)
	}
	if !errors.Is(recvErr, wire.ErrCanceled) {
		t.Errorf("receive: %v, want the sender's cancel", recvErr)
	}
}

func TestSendCancelled(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	recvErr := make(chan error, 1)
	go func() {
		_, err := Receive(ctxFor(t, 30*time.Second), b, nil)
		recvErr <- err
	}()
	opts := &Options{Progress: func(p Progress) {
		if p.Done > 10_000 {
			cancel()
		}
	}}
	err := Send(ctx, a, []File{{Name: "route.csv", Data: make([]byte, 100_000)}}, opts)
	// net.Pipe has no buffer: take what the receiver still says, as a
	// serial line would.
	go func() { _, _ = io.Copy(io.Discard, a) }()
	var e *wire.Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &e) || e.File != "route.csv" || e.Block < 10 {
		t.Errorf("send: %v", err)
	}
	if err := <-recvErr; !errors.Is(err, wire.ErrCanceled) {
		t.Errorf("receive: %v, want the sender's cancel", err)
	}
}

func TestReceiveNoSender(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	var heard bytes.Buffer
	go func() { _, _ = io.Copy(&heard, a) }()

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	files, err := Receive(ctx, b, nil)
	if !errors.Is(err, context.DeadlineExceeded) || len(files) != 0 {
		t.Fatalf("got %d files, %v", len(files), err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v", took)
	}
	if err.Error() != "ymodem: header: context deadline exceeded" {
		t.Errorf("error %q", err)
	}

	// The reading goroutine has stopped: the next reader of the line gets
	// the next byte.
	go func() { _, _ = a.Write([]byte("x")) }()
	buf := make([]byte, 1)
	if err := b.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Read(buf); n != 1 || buf[0] != 'x' {
		t.Errorf("after Receive, read %q, %v", buf[:n], err)
	}
}

func TestReceiveGivesUp(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _, _ = io.Copy(io.Discard, a) }()
	opts := &Options{Receive: wire.ReceiverConfig{StartInterval: 10 * time.Millisecond, StartTimeout: 100 * time.Millisecond}}
	_, err := Receive(ctxFor(t, 10*time.Second), b, opts)
	if err == nil || err.Error() != "ymodem: header: no sender after 100ms" {
		t.Errorf("error %v", err)
	}
}

func TestSendValidates(t *testing.T) {
	for _, files := range [][]File{
		{{Data: []byte("x")}},
		{{Name: "a", Reader: strings.NewReader("x"), Size: -1}},
	} {
		if err := Send(context.Background(), nil, files, nil); err == nil || !strings.HasPrefix(err.Error(), "ymodem: file 0: ") {
			t.Errorf("Send(%+v) = %v", files, err)
		}
	}
}
