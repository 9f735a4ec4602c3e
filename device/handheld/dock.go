package handheld

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"meter-sync/account"
	"meter-sync/device/link"
	"meter-sync/protocol/dock"
)

// ErrRefused is returned when the host did not accept the handheld's proof
// of its key: it is not paired, or its key is wrong or revoked.
var ErrRefused = errors.New("handheld: the server refused this handheld (未配对或密钥错误)")

// ServeOptions configure the device side of a dock.
type ServeOptions struct {
	Firmware string
	Logger   *slog.Logger // default discards
	// Progress, when set, is called as files come in and go out.
	Progress func(step string, done, total int64)
}

// Session says what one dock did to the handheld.
type Session struct {
	Authenticated bool
	ClockSet      bool
	RouteLoaded   int // households of the route loaded, 0 if none
	RereadsAdded  int
	ReadingsSent  int // readings in the last batch sent
	Cleared       int // readings deleted once the server stored them
}

// server is the device side of one dock: it answers the host's requests
// from the store until BYE.
type server struct {
	st   *Store
	conn *link.Conn
	opt  ServeOptions
	ses  Session
	// sent maps the digest of each readings file sent in this dock to the
	// readings it held: READINGS_STORED names the file, and only its
	// readings may be deleted.
	sent map[string][]uint64
}

// Serve answers a host's docking session on conn until the host says BYE,
// refuses the handheld, reports an ERROR, or the line dies. Readings are
// deleted only when READINGS_STORED names the file they were sent in
// (DESIGN §5.9).
func Serve(ctx context.Context, conn *link.Conn, st *Store, opt ServeOptions) (Session, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{st: st, conn: conn, opt: opt, sent: map[string][]uint64{}}
	for {
		m, err := conn.Recv(ctx)
		if err != nil {
			return s.ses, err
		}
		done, err := s.answer(ctx, m)
		if err != nil || done {
			if err == nil {
				err = conn.Flush(ctx)
			}
			return s.ses, err
		}
	}
}

// answer handles one message; done is true at the end of the session.
func (s *server) answer(ctx context.Context, m dock.Message) (done bool, err error) {
	s.opt.Logger.Debug("message", "type", m.Type)
	switch m.Type {
	case dock.MsgBye:
		return true, nil
	case dock.MsgError:
		e, derr := dock.DecodeError(m.Payload)
		if derr != nil {
			return true, derr
		}
		return true, e
	case dock.MsgXferBegin:
		return false, s.receiveFile(ctx)
	}
	body, err := dock.DecodeBody(m)
	if err != nil {
		return true, err
	}
	switch b := body.(type) {
	case dock.Hello:
		return false, s.hello(ctx, b)
	case dock.Challenge:
		return false, s.prove(ctx, b)
	case dock.AuthResult:
		s.ses.Authenticated = b.OK
		if !b.OK {
			return true, fmt.Errorf("%w: %s", ErrRefused, b.Reason)
		}
		return false, nil
	case dock.ClockGet:
		return false, s.sendClock(ctx)
	case dock.ClockSet:
		if err := s.st.SetClock(time.UnixMilli(b.ClockMS)); err != nil {
			return true, err
		}
		s.ses.ClockSet = true
		return false, s.sendClock(ctx)
	case dock.StatusGet:
		return false, s.sendStatus(ctx)
	case dock.ReadingsGet:
		return false, s.sendReadings(ctx)
	case dock.ReadingsStored:
		return false, s.clear(ctx, b)
	}
	s.opt.Logger.Debug("message not for a handheld, skipped", "type", m.Type)
	return false, nil
}

func (s *server) hello(ctx context.Context, h dock.Hello) error {
	version, caps, ok := dock.Negotiate(h, dock.Versions, []string{dock.CapZstd, dock.CapResume})
	if !ok {
		_ = s.conn.Send(ctx, dock.MsgError, dock.Error{Code: dock.CodeVersion, Message: "no common protocol version"})
		return fmt.Errorf("handheld: no common protocol version with the host's %v", h.Versions)
	}
	id, err := s.st.Identity()
	if err != nil {
		return err
	}
	now, err := s.st.Now()
	if err != nil {
		return err
	}
	s.conn.SetCaps(caps)
	own := s.conn.Config()
	maxPayload, window := min(own.MaxPayload, max(h.MaxPayload, 64)), min(own.Window, max(h.Window, 1))
	if err := s.conn.Send(ctx, dock.MsgHelloAck, dock.HelloAck{Magic: dock.Magic, Version: version, DeviceID: id.DeviceID,
		Caps: caps, Firmware: s.opt.Firmware, ClockMS: now.UnixMilli(), MaxPayload: maxPayload, Window: window}); err != nil {
		return err
	}
	return s.conn.SetLimits(maxPayload, window)
}

// prove answers the host's challenge with the paired key.
func (s *server) prove(ctx context.Context, c dock.Challenge) error {
	id, err := s.st.Identity()
	if err != nil {
		return err
	}
	return s.conn.Send(ctx, dock.MsgProof, dock.Proof{DeviceID: id.DeviceID, Proof: account.Prove(id.Key[:], c.Nonce)})
}

func (s *server) sendClock(ctx context.Context) error {
	now, err := s.st.Now()
	if err != nil {
		return err
	}
	return s.conn.Send(ctx, dock.MsgClock, dock.Clock{ClockMS: now.UnixMilli()})
}

// sendStatus sends the 抄表统计 the clerk checks ([003:1211]).
func (s *server) sendStatus(ctx context.Context) error {
	st, err := s.st.Stats()
	if err != nil {
		return err
	}
	batch, err := s.st.PendingReadings()
	if err != nil {
		return err
	}
	return s.conn.Send(ctx, dock.MsgStatus, dock.Status{ReaderID: st.Reader, Cycle: st.Cycle,
		RouteHouseholds: int64(st.Due), Read: int64(st.Read), Unread: int64(st.Unread), Estimated: int64(st.Estimated),
		PendingReadings: int64(len(batch.Readings)), Rereads: int64(st.Rereads)})
}

// sendReadings sends every reading not yet stored by the server, as one
// readings file, and remembers which readings the file held.
func (s *server) sendReadings(ctx context.Context) error {
	batch, err := s.st.PendingReadings()
	if err != nil {
		return err
	}
	f := link.OutFile{Kind: dock.KindReadings, Name: "readings.csv", Data: batch.CSV}
	sum := sha256.Sum256(batch.CSV)
	digest := hex.EncodeToString(sum[:])
	s.sent[digest] = batch.IDs()
	s.ses.ReadingsSent = len(batch.Readings)
	_, err = s.conn.SendFile(ctx, f, s.progress("上传抄表记录"))
	return err
}

// clear deletes the readings of a file the server says it has stored.
func (s *server) clear(ctx context.Context, b dock.ReadingsStored) error {
	ids, ok := s.sent[b.ID]
	n := 0
	if ok {
		var err error
		if n, err = s.st.ClearReadings(ids); err != nil {
			return err
		}
		delete(s.sent, b.ID)
	}
	s.ses.Cleared += n
	return s.conn.Send(ctx, dock.MsgReadingsCleared, dock.ReadingsCleared{ID: b.ID, Deleted: int64(n)})
}

// receiveFile takes a route or re-reads file, resuming a transfer a pulled
// cable cut off.
func (s *server) receiveFile(ctx context.Context) error {
	_, err := s.conn.RecvFile(ctx, partials{s.st}, s.apply, s.progress("接收数据"))
	return err
}

func (s *server) apply(b dock.XferBegin, raw []byte) (int, error) {
	switch b.Kind {
	case dock.KindRoute:
		n, err := s.st.LoadRoute(b.Meta["reader"], b.Meta["cycle"], raw)
		s.ses.RouteLoaded = n
		return n, err
	case dock.KindRereads:
		n, err := s.st.AddRereads(raw)
		s.ses.RereadsAdded += n
		return n, err
	}
	return 0, fmt.Errorf("handheld: a %q file is not for a handheld", b.Kind)
}

func (s *server) progress(step string) func(done, total int64) {
	return func(done, total int64) {
		if s.opt.Progress != nil {
			s.opt.Progress(step, done, total)
		}
	}
}

// partials keeps the prefixes of cut-off transfers in the store.
type partials struct{ st *Store }

func (p partials) Partial(id string) ([]byte, error) { return p.st.Partial(id) }
func (p partials) PutPartial(id string, offset int64, b []byte) error {
	_, err := p.st.PutPartial(id, offset, b)
	return err
}
func (p partials) DropPartial(id string) error { return p.st.DropPartial(id) }
