package link

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"meter-sync/protocol/dock"
)

// ctxFor is a context that ends with the test or after d.
func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// pipeConns joins two Conns, host and device, over net.Pipe.
func pipeConns(t testing.TB, cfg dock.LinkConfig) (host, dev *Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	host, dev = Open(a, cfg, Options{}), Open(b, cfg, Options{})
	t.Cleanup(func() { host.Close(); dev.Close() })
	return host, dev
}

// routeData makes n bytes of a compressible route file.
func routeData(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%04d%02d%02d%03d,%08d,用户%d,金桥小区%d幢,%d\n", 1000+i/500, i%40, i%6, i%300, 10000000+i*7, i, i%40, (i*7919)%99999)
	}
	return b.Bytes()[:n]
}

// noise makes n incompressible bytes.
func noise(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 9))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestMessages(t *testing.T) {
	host, dev := pipeConns(t, dock.LinkConfig{})
	ctx := ctxFor(t, 10*time.Second)
	hello := dock.Hello{Magic: dock.Magic, Versions: dock.Versions, Role: dock.RoleHost, Caps: []string{dock.CapZstd}, MaxPayload: 512, Window: 32}
	if err := host.Send(ctx, dock.MsgHello, hello); err != nil {
		t.Fatal(err)
	}
	got, err := Expect[dock.Hello](ctx, dev, dock.MsgHello)
	if err != nil || got.Role != "host" {
		t.Fatalf("device got %+v, %v", got, err)
	}
	// A later version's message, then CLOCK: the host skips the first.
	if err := dev.Send(ctx, 0x7E, []byte(`{"later":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := dev.Send(ctx, dock.MsgClock, dock.Clock{ClockMS: 42}); err != nil {
		t.Fatal(err)
	}
	c, err := Expect[dock.Clock](ctx, host, dock.MsgClock)
	if err != nil || c.ClockMS != 42 {
		t.Fatalf("host got %+v, %v", c, err)
	}
	if err := dev.Send(ctx, dock.MsgError, dock.Error{Code: dock.CodeBusy, Message: "稍后再试"}); err != nil {
		t.Fatal(err)
	}
	var peer dock.Error
	if _, err := Expect[dock.Status](ctx, host, dock.MsgStatus); !errors.As(err, &peer) || peer.Code != dock.CodeBusy {
		t.Errorf("ERROR from the device: %v", err)
	}
	if err := dev.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := host.Send(ctx, dock.MsgClock, dock.ClockSet{}); err == nil {
		t.Error("CLOCK_SET body sent as CLOCK")
	}
}

// transferOnce sends data from one Conn to the other and returns what the
// receiver applied, with the receiving side's partials.
func transferOnce(t testing.TB, ctx context.Context, from, to *Conn, data []byte, parts Partials) ([]byte, dock.XferDone, error) {
	var got []byte
	rerr := make(chan error, 1)
	go func() {
		_, err := to.RecvFile(ctx, parts, func(b dock.XferBegin, raw []byte) (int, error) {
			got = raw
			return strings.Count(string(raw), "\n"), nil
		}, nil)
		rerr <- err
	}()
	var last int64
	done, err := from.SendFile(ctx, OutFile{Kind: dock.KindRoute, Name: "route.csv", Data: data}, func(d, total int64) {
		if d < last || d > total {
			t.Errorf("progress %d of %d after %d", d, total, last)
		}
		last = d
	})
	if rerr := <-rerr; err == nil {
		err = rerr
	}
	return got, done, err
}

func TestSendFileOverPipe(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
	}{{"route 200 KB", routeData(200 << 10)}, {"noise 100 KB", noise(100<<10, 1)}, {"empty", nil}} {
		t.Run(tt.name, func(t *testing.T) {
			host, dev := pipeConns(t, dock.LinkConfig{})
			got, done, err := transferOnce(t, ctxFor(t, 30*time.Second), host, dev, tt.data, &MemPartials{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.data) || done.Count != int64(bytes.Count(tt.data, []byte("\n"))) {
				t.Errorf("received %d bytes, count %d", len(got), done.Count)
			}
		})
	}
}

// TestRecvFileRefuses: a failed apply is answered XFER_DONE ok false, and
// SendFile reports it; the whole stream stays saved for the next attempt.
func TestRecvFileRefuses(t *testing.T) {
	host, dev := pipeConns(t, dock.LinkConfig{})
	ctx := ctxFor(t, 30*time.Second)
	parts := &MemPartials{}
	rerr := make(chan error, 1)
	go func() {
		_, err := dev.RecvFile(ctx, parts, func(dock.XferBegin, []byte) (int, error) {
			return 0, errors.New("路线与抄表员不符")
		}, nil)
		rerr <- err
	}()
	data := routeData(50 << 10)
	done, err := host.SendFile(ctx, OutFile{Kind: dock.KindRoute, Name: "r.csv", Data: data}, nil)
	if err == nil || done.OK || !strings.Contains(done.Error, "路线与抄表员不符") {
		t.Errorf("SendFile: %+v, %v", done, err)
	}
	if err := <-rerr; err == nil {
		t.Error("RecvFile: no error")
	}
	if len(parts.m) != 1 {
		t.Errorf("%d partials kept, want the whole stream", len(parts.m))
	}
}

// TestRecvFileTooLarge: the receiver's limit is checked before anything
// is allocated and the sender hears why.
func TestRecvFileTooLarge(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	host := Open(a, dock.LinkConfig{}, Options{})
	dev := Open(b, dock.LinkConfig{}, Options{MaxFileSize: 1000})
	t.Cleanup(func() { host.Close(); dev.Close() })
	ctx := ctxFor(t, 10*time.Second)
	go dev.RecvFile(ctx, &MemPartials{}, func(dock.XferBegin, []byte) (int, error) { return 0, nil }, nil)
	done, err := host.SendFile(ctx, OutFile{Kind: dock.KindRoute, Name: "r.csv", Data: noise(2000, 2)}, nil)
	if err == nil || !strings.Contains(done.Error, "over the limit") {
		t.Errorf("SendFile: %+v, %v", done, err)
	}
}

// TestResumeAfterCut: the receiver is cut off halfway; a new pair of Conns
// resumes from the partial it saved.
func TestResumeAfterCut(t *testing.T) {
	data := noise(300<<10, 3)
	parts := &MemPartials{}
	host, dev := pipeConns(t, dock.LinkConfig{})
	ctx, cancel := context.WithCancel(ctxFor(t, 30*time.Second))
	rerr := make(chan error, 1)
	go func() {
		_, err := dev.RecvFile(ctx, parts, func(dock.XferBegin, []byte) (int, error) { return 0, nil }, func(d, total int64) {
			if d > total/2 {
				cancel()
			}
		})
		rerr <- err
	}()
	if _, err := host.SendFile(ctx, OutFile{Kind: dock.KindRoute, Name: "r.csv", Data: data}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("first attempt: %v", err)
	}
	if err := <-rerr; !errors.Is(err, context.Canceled) {
		t.Fatalf("first attempt received: %v", err)
	}
	host.Close()
	dev.Close()
	held := 0
	for _, p := range parts.m {
		held = len(p)
	}
	host2, dev2 := pipeConns(t, dock.LinkConfig{})
	got, _, err := transferOnce(t, ctxFor(t, 30*time.Second), host2, dev2, data, parts)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("second attempt: %v, %d bytes", err, len(got))
	}
	s := host2.Stats()
	if held < len(data)/2 || s.ResumedOffset != int64(held) || s.XferSent != int64(len(data)-held) {
		t.Errorf("held %d, resumed at %d, sent %d of %d", held, s.ResumedOffset, s.XferSent, len(data))
	}
	if len(parts.m) != 0 {
		t.Error("partial kept after the file was applied")
	}
}

// TestPeerGone: when the far end of the line closes, waiting calls return
// ErrPeerGone at once.
func TestPeerGone(t *testing.T) {
	a, b := net.Pipe()
	host := Open(a, dock.LinkConfig{}, Options{})
	t.Cleanup(func() { host.Close() })
	errc := make(chan error, 1)
	go func() {
		_, err := host.Recv(ctxFor(t, 10*time.Second))
		errc <- err
	}()
	b.Close()
	if err := <-errc; !errors.Is(err, ErrPeerGone) {
		t.Errorf("Recv: %v", err)
	}
	if err := host.Send(context.Background(), dock.MsgBye, nil); !errors.Is(err, ErrPeerGone) {
		t.Errorf("Send: %v", err)
	}
}

// TestLinkGivesUp: a peer that reads but never answers fails the link
// after its retries.
func TestLinkGivesUp(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	go io.Copy(io.Discard, b)
	host := Open(a, dock.LinkConfig{RTO: 20 * time.Millisecond, MaxRetries: 3}, Options{})
	t.Cleanup(func() { host.Close() })
	ctx := ctxFor(t, 10*time.Second)
	if err := host.Send(ctx, dock.MsgHello, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := host.Flush(ctx); !errors.Is(err, ErrPeerGone) {
		t.Errorf("Flush: %v", err)
	}
	if s := host.Stats().Link; s.FramesResent != 3+2 || s.Probes != 2 {
		t.Errorf("resent %d times (%d probes), want 3 retries and 2 probes", s.FramesResent, s.Probes)
	}
}

func TestCloseAndContext(t *testing.T) {
	host, _ := pipeConns(t, dock.LinkConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := host.Recv(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Recv with a cancelled context: %v", err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := host.Recv(context.Background())
		errc <- err
	}()
	host.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("Recv after Close: %v", err)
	}
}
