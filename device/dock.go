package device

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/device/link"
	"meter-sync/domain"
	"meter-sync/protocol/dock"
	"meter-sync/store"
)

// ErrUnpaired is returned when a handheld fails authentication: it is not
// paired, its key is wrong, or it was revoked. It was given nothing.
var ErrUnpaired = errors.New("device: the handheld is not paired or its key is wrong; nothing was sent to it")

// ErrReadingsPending is returned when a route would be loaded onto a
// handheld that still holds readings the server has not stored.
var ErrReadingsPending = errors.New("device: the handheld holds readings not yet imported: import them before loading a route")

// session is one dock of one handheld by the device protocol: DOMAIN §2
// step by step, each step a method.
type session struct {
	h      *Host
	conn   *link.Conn
	job    Job
	rep    Report
	dev    account.Device
	status dock.Status
}

// Dock docks a handheld that speaks the device protocol on rw: it proves
// who it is (nothing leaves the server before), its clock is checked and
// corrected, its readings are imported and then cleared from it, the
// households returned for a re-read go back to it, and the route it is
// given is reconciled with the reader's count and its own 抄表统计.
func (h *Host) Dock(ctx context.Context, rw io.ReadWriter, job Job) (Report, error) {
	conn := link.Open(rw, link.Session(h.opt.Link), link.Options{Logger: h.opt.Logger})
	defer conn.Close()
	s := &session{h: h, conn: conn, job: job, rep: Report{Mode: "device"}}
	err := s.run(ctx)
	stats := conn.Stats()
	s.rep.Link = &stats
	if err != nil && !errors.Is(err, link.ErrPeerGone) && ctx.Err() == nil {
		s.tell(ctx, err)
	}
	if aerr := h.auditDock(&s.rep, err); err == nil {
		err = aerr
	}
	return s.rep, err
}

func (s *session) run(ctx context.Context) error {
	for _, step := range []func(context.Context) error{
		s.hello, s.authenticate, s.correctClock, s.readStatus,
		s.importReadings, s.sendRereads, s.exportRoute, s.bye,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// tell sends the handheld an ERROR saying why the dock stopped, if the
// line still carries it.
func (s *session) tell(ctx context.Context, err error) {
	code := dock.CodeInternal
	switch {
	case errors.Is(err, ErrUnpaired):
		return // AUTH_RESULT said it
	case errors.Is(err, ErrReadingsPending), errors.Is(err, ErrNoReader):
		code = dock.CodeBusy
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = s.conn.Send(ctx, dock.MsgError, dock.Error{Code: code, Message: err.Error()})
	_ = s.conn.Flush(ctx)
}

func (s *session) hello(ctx context.Context) error {
	cfg := s.conn.Config()
	caps := []string{dock.CapZstd, dock.CapResume}
	if s.h.opt.DisableCompression {
		caps = []string{dock.CapResume}
	}
	hello := dock.Hello{Magic: dock.Magic, Versions: []int{dock.Version}, Role: "host",
		Caps: caps, MaxPayload: cfg.MaxPayload, Window: cfg.Window}
	if err := s.conn.Send(ctx, dock.MsgHello, hello); err != nil {
		return err
	}
	ack, err := link.Expect[dock.HelloAck](ctx, s.conn, dock.MsgHelloAck)
	if err != nil {
		return fmt.Errorf("device: hello: %w", err)
	}
	s.rep.DeviceID, s.rep.Firmware = ack.DeviceID, ack.Firmware
	s.conn.SetCaps(ack.Caps)
	return s.conn.SetLimits(agreed(hello.MaxPayload, ack.MaxPayload), agreed(hello.Window, ack.Window))
}

// agreed is the smaller of two sides' limits; a side that says 0 takes the
// other's (docs/PROTOCOL.md §3.5).
func agreed(ours, theirs int) int {
	if theirs <= 0 {
		return ours
	}
	return min(ours, theirs)
}

// authenticate challenges the handheld to prove its paired key before any
// customer data leaves the server.
func (s *session) authenticate(ctx context.Context) error {
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	if err := s.conn.Send(ctx, dock.MsgChallenge, dock.Challenge{Nonce: nonce}); err != nil {
		return err
	}
	proof, err := link.Expect[dock.Proof](ctx, s.conn, dock.MsgProof)
	if err != nil {
		return fmt.Errorf("device: authentication: %w", err)
	}
	dev, err := s.h.access.AuthenticateDevice(s.rep.DeviceID, nonce, proof.Proof)
	if err == nil && proof.DeviceID != s.rep.DeviceID {
		err = access.ErrUnauthenticated
	}
	if errors.Is(err, access.ErrUnauthenticated) {
		_ = s.conn.Send(ctx, dock.MsgAuthResult, dock.AuthResult{OK: false, Reason: "抄表机未配对或密钥错误"})
		_ = s.conn.Flush(ctx)
		return fmt.Errorf("%w (handheld %q)", ErrUnpaired, s.rep.DeviceID)
	}
	if err != nil {
		return err
	}
	s.dev = dev
	return s.conn.Send(ctx, dock.MsgAuthResult, dock.AuthResult{OK: true})
}

// correctClock measures the handheld's clock against the server's, the
// reference ([003:1197]), and sets it when it is off by more than MaxSkew
// (DESIGN §5.8); the skew before correction is kept with every reading
// imported at this dock.
func (s *session) correctClock(ctx context.Context) error {
	skew, rtt, err := s.measureClock(ctx)
	if err != nil {
		return err
	}
	s.rep.SkewMs = skew.Milliseconds()
	if skew.Abs() <= s.h.opt.MaxSkew {
		return nil
	}
	set := dock.ClockSet{ClockMS: time.Now().Add(rtt / 2).UnixMilli()}
	if err := s.conn.Send(ctx, dock.MsgClockSet, set); err != nil {
		return err
	}
	if _, err := link.Expect[dock.Clock](ctx, s.conn, dock.MsgClock); err != nil {
		return fmt.Errorf("device: setting the clock: %w", err)
	}
	after, _, err := s.measureClock(ctx)
	if err != nil {
		return err
	}
	if after.Abs() > s.h.opt.MaxSkew {
		return fmt.Errorf("device: the handheld's clock is still off by %v after setting it", after.Round(time.Millisecond))
	}
	s.rep.Corrected = true
	return nil
}

// measureClock asks the handheld its time and compares it with the
// server's at the middle of the round trip.
func (s *session) measureClock(ctx context.Context) (skew, rtt time.Duration, err error) {
	t0 := time.Now()
	if err := s.conn.Send(ctx, dock.MsgClockGet, dock.ClockGet{}); err != nil {
		return 0, 0, err
	}
	c, err := link.Expect[dock.Clock](ctx, s.conn, dock.MsgClock)
	if err != nil {
		return 0, 0, fmt.Errorf("device: reading the clock: %w", err)
	}
	rtt = time.Since(t0)
	mid := t0.Add(rtt / 2)
	return time.UnixMilli(c.ClockMS).Sub(mid), rtt, nil
}

func (s *session) readStatus(ctx context.Context) error {
	if err := s.conn.Send(ctx, dock.MsgStatusGet, dock.StatusGet{}); err != nil {
		return err
	}
	st, err := link.Expect[dock.Status](ctx, s.conn, dock.MsgStatus)
	if err != nil {
		return fmt.Errorf("device: status: %w", err)
	}
	s.status = st
	return nil
}

// heldCycle is the month of the route the handheld holds, if any.
func (s *session) heldCycle() (domain.Month, bool) {
	if s.status.ReaderID == "" || s.status.Cycle == "" {
		return 0, false
	}
	m, err := domain.ParseMonth(s.status.Cycle)
	return m, err == nil
}

// importReadings takes the handheld's readings, stores them durably by the
// one import path, and only then tells the handheld to delete them
// (DESIGN §5.9).
func (s *session) importReadings(ctx context.Context) error {
	if !s.job.Import {
		return nil
	}
	cycle, ok := s.heldCycle()
	if !ok {
		return nil // nothing loaded, nothing read
	}
	if err := s.conn.Send(ctx, dock.MsgReadingsGet, dock.ReadingsGet{}); err != nil {
		return err
	}
	begin, err := s.conn.RecvFile(ctx, s.h.partials(), func(b dock.XferBegin, raw []byte) (int, error) {
		return s.storeReadings(b, raw, cycle)
	}, s.job.progress("导入抄表记录"))
	if err != nil {
		return fmt.Errorf("device: readings: %w", err)
	}
	if err := s.conn.Send(ctx, dock.MsgReadingsStored, dock.ReadingsStored{ID: begin.ID, Count: int64(s.importedRows())}); err != nil {
		return err
	}
	cleared, err := link.Expect[dock.ReadingsCleared](ctx, s.conn, dock.MsgReadingsCleared)
	if err != nil {
		return fmt.Errorf("device: clearing stored readings: %w", err)
	}
	s.rep.Cleared = int(cleared.Deleted)
	return s.readStatus(ctx)
}

func (s *session) importedRows() int {
	if s.rep.Import == nil {
		return 0
	}
	return s.rep.Import.Rows
}

// storeReadings imports a readings file the handheld sent.
func (s *session) storeReadings(b dock.XferBegin, raw []byte, cycle domain.Month) (int, error) {
	if b.Kind != dock.KindReadings {
		return 0, fmt.Errorf("expected a %s file, got %q", dock.KindReadings, b.Kind)
	}
	r, err := s.h.importReadings(raw, Arrival{Source: domain.FromHandheld, DeviceID: s.rep.DeviceID,
		Reader: s.status.ReaderID, Cycle: cycle, ClockSkew: time.Duration(s.rep.SkewMs) * time.Millisecond})
	s.rep.Import = &r
	if err != nil {
		return 0, err
	}
	return r.Rows, nil
}

// sendRereads sends the households of the handheld's cycle that reviewers
// returned for a re-read, unless this dock loads another month's route.
func (s *session) sendRereads(ctx context.Context) error {
	cycle, ok := s.heldCycle()
	if !ok || (s.job.Export && s.job.Cycle != cycle) {
		return nil
	}
	data, ids, err := s.h.rereadFile(s.status.ReaderID, cycle, "utf-8-nobom")
	if err != nil || len(ids) == 0 {
		return err
	}
	f := link.OutFile{Kind: dock.KindRereads, Name: fmt.Sprintf("reread-%s-%s.csv", s.status.ReaderID, cycle), Data: data,
		Meta: map[string]string{"reader": s.status.ReaderID, "cycle": cycle.String()}}
	done, err := s.conn.SendFile(ctx, f, s.job.progress("下发重抄任务"))
	if err == nil && !done.OK {
		err = fmt.Errorf("the handheld refused the re-reads: %s", done.Error)
	}
	if err != nil {
		return fmt.Errorf("device: re-reads: %w", err)
	}
	s.rep.Rereads = ids
	return nil
}

// exportRoute loads the reader's route for the job's month and reconciles
// the three counts (DOMAIN §2.2).
func (s *session) exportRoute(ctx context.Context) error {
	if !s.job.Export {
		return nil
	}
	reader := cmp.Or(s.job.Reader, s.dev.ReaderID, s.status.ReaderID)
	if reader == "" || s.job.Cycle == 0 {
		return ErrNoReader
	}
	if s.status.PendingReadings > 0 {
		return fmt.Errorf("%w (%d readings)", ErrReadingsPending, s.status.PendingReadings)
	}
	data, rec, err := s.h.routeFile(reader, s.job.Cycle, s.job.Expect, "utf-8-nobom")
	s.rep.Export = &rec
	if err != nil {
		return err
	}
	f := link.OutFile{Kind: dock.KindRoute, Name: fmt.Sprintf("route-%s-%s.csv", reader, s.job.Cycle), Data: data,
		Meta: map[string]string{"reader": reader, "cycle": s.job.Cycle.String()}}
	done, err := s.conn.SendFile(ctx, f, s.job.progress("导出抄表路线"))
	if err == nil && !done.OK {
		err = fmt.Errorf("the handheld refused the route: %s", done.Error)
	}
	if err != nil {
		return fmt.Errorf("device: route: %w", err)
	}
	if err := s.readStatus(ctx); err != nil {
		return err
	}
	rec.Handheld = int(s.status.RouteHouseholds) // its 抄表统计 [003:1211]
	s.rep.Export = &rec
	return nil
}

// bye ends the session. Everything is done by then: a BYE whose
// acknowledgement is lost (the handheld taken from its cradle at once) is
// logged, not failed.
func (s *session) bye(ctx context.Context) error {
	if err := s.conn.Send(ctx, dock.MsgBye, dock.Bye{}); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, byeLinger)
	defer cancel()
	if err := s.conn.Flush(wait); err != nil {
		s.h.opt.Logger.Warn("BYE not acknowledged", "device", s.rep.DeviceID, "err", err)
	}
	return nil
}

// byeLinger is how long the host waits for BYE to be acknowledged.
const byeLinger = 3 * time.Second

func (h *Host) partials() link.Partials {
	return link.DirPartials(filepath.Join(h.opt.SpoolDir, "partial"))
}

// auditDock records the dock, its clock skew and what it did, whatever
// its outcome, for the docking log.
func (h *Host) auditDock(rep *Report, dockErr error) error {
	after, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	note := "ok"
	if dockErr != nil {
		note = dockErr.Error()
	}
	action := map[bool]string{true: "device.dock", false: "device.dock.failed"}[dockErr == nil]
	return h.st.Update(func(tx store.Tx) error {
		_, err := tx.AppendAudit(store.AuditEntry{At: h.opt.Now(), Actor: rep.DeviceID, Device: rep.DeviceID,
			Action: action, Key: rep.DeviceID, After: after, Note: note})
		return err
	})
}
