package dock

import (
	"cmp"
	"slices"
	"time"
)

// Input feeds bytes read from the line, received at now.
func (l *Link) Input(b []byte, now time.Time) {
	if l.err != nil {
		return
	}
	l.setNow(now)
	l.stats.BytesReceived += int64(len(b))
	l.dec.Write(b)
	for {
		f, ok := l.dec.Next()
		if !ok {
			return
		}
		if f.Type == TypeAck {
			l.onAck(f)
		} else {
			l.onData(f)
		}
		if l.err != nil {
			return
		}
	}
}

// Tick tells the link the time, and marks for sending again the frames
// whose timeout has passed.
func (l *Link) Tick(now time.Time) {
	if l.err != nil {
		return
	}
	l.setNow(now)
	for _, f := range l.out[:l.nsent] {
		if f.sacked || f.resend || now.Before(f.sentAt.Add(l.rto)) {
			continue
		}
		l.stats.Timeouts++
		l.retry(f)
	}
	l.probe(now)
}

// probe sends the oldest frame in flight again when the peer has been
// silent for the probe timeout: its ACK shows what else is missing.
// Probes do not count as retries; the timeout still does.
func (l *Link) probe(now time.Time) {
	if l.err != nil || l.probes >= maxProbes || now.Before(l.heard.Add(l.pto)) {
		return
	}
	for _, f := range l.out[:l.nsent] {
		if f.resend {
			return
		}
		if !f.sacked {
			f.resend = true
			l.probes++
			l.heard = now
			l.stats.Probes++
			return
		}
	}
}

// setNow records the time, and stamps frames sent before the link knew it.
func (l *Link) setNow(now time.Time) {
	if l.now.IsZero() {
		for _, f := range l.out[:l.nsent] {
			if f.sentAt.IsZero() {
				f.sentAt = now
			}
		}
		l.heard = now
	}
	l.now = now
}

// retry marks f to be sent again, or fails the link.
func (l *Link) retry(f *outFrame) {
	f.retries++
	if f.retries > l.cfg.MaxRetries {
		l.fail(ErrPeerGone)
		return
	}
	f.resend = true
}

func (l *Link) fail(err error) {
	l.err = err
	l.out, l.held, l.inbox = nil, nil, nil
	l.nsent = 0
}

// Deadline returns when Tick must next be called: the earliest timeout of
// a frame in flight. It is zero when no frame is in flight.
func (l *Link) Deadline() time.Time {
	var d time.Time
	if l.err != nil {
		return d
	}
	for _, f := range l.out[:l.nsent] {
		if f.sacked {
			continue
		}
		if t := f.sentAt.Add(l.rto); d.IsZero() || t.Before(d) {
			d = t
		}
	}
	if p := l.heard.Add(l.pto); !d.IsZero() && l.probes < maxProbes && p.Before(d) {
		d = p
	}
	return d
}

// Output returns the bytes to write now: an ACK if one is due, frames to
// send again, then new frames as far as the window allows.
func (l *Link) Output() []byte {
	if l.err != nil {
		return nil
	}
	var b []byte
	if l.ackDue {
		b = l.appendAck(b)
	}
	for _, f := range l.out[:l.nsent] {
		if f.resend {
			f.resend = false
			l.stats.FramesResent++
			b = l.transmit(b, f)
		}
	}
	for l.nsent < len(l.out) && l.nsent < l.cfg.Window {
		if l.nsent == 0 { // a new flight: the silence counts from now
			l.heard, l.probes = l.now, 0
		}
		f := l.out[l.nsent]
		f.sent = true
		l.nsent++
		l.stats.FramesSent++
		b = l.transmit(b, f)
	}
	l.stats.BytesSent += int64(len(b))
	return b
}

func (l *Link) transmit(b []byte, f *outFrame) []byte {
	l.txCount++
	f.tx, f.sentAt = l.txCount, l.now
	b, _ = AppendFrame(b, f.Frame) // Send checked the payload and flags
	return b
}

// appendAck appends the cumulative ack with the frames held beyond it,
// nearest first.
func (l *Link) appendAck(b []byte) []byte {
	l.ackDue = false
	l.stats.AcksSent++
	sacks := make([]uint32, 0, len(l.held))
	for s := range l.held {
		sacks = append(sacks, s)
	}
	slices.SortFunc(sacks, func(x, y uint32) int { return cmp.Compare(x-l.expect, y-l.expect) })
	b, _ = AppendFrame(b, Frame{Type: TypeAck, Seq: l.expect, Payload: AckPayload(sacks)})
	return b
}

// onAck takes the frames an ACK acknowledges off the queue and sends again
// at once the ones it shows lost: sent before a frame that arrived.
func (l *Link) onAck(f Frame) {
	sacks, err := ParseAck(f.Payload)
	n := f.Seq - l.base // frames acknowledged cumulatively
	if err != nil || n > uint32(l.nsent) {
		l.stats.FramesBad++ // malformed, or stale: from before what is acked, or beyond what was sent
		return
	}
	l.stats.AcksReceived++
	for _, o := range l.out[:n] {
		l.ackedTx = max(l.ackedTx, o.tx)
	}
	l.out = l.out[n:]
	l.nsent -= int(n)
	l.base = f.Seq
	if n > 0 || len(sacks) > 0 {
		l.heard, l.probes = l.now, 0
	}
	for _, s := range sacks {
		if i := s - l.base; i > 0 && i < uint32(l.nsent) {
			o := l.out[i]
			o.sacked, o.resend = true, false
			l.ackedTx = max(l.ackedTx, o.tx)
		}
	}
	l.fastRetransmit()
}

// fastRetransmit marks for sending again the frames sent before one that
// has arrived, each at most once per timeout.
func (l *Link) fastRetransmit() {
	for _, o := range l.out[:l.nsent] {
		if o.sacked || o.resend || o.tx >= l.ackedTx {
			continue
		}
		if !o.fastAt.IsZero() && l.now.Before(o.fastAt.Add(l.rto)) {
			continue
		}
		o.fastAt = l.now
		l.stats.FastRetransmits++
		l.retry(o)
		if l.err != nil {
			return
		}
	}
}

// onData takes in a message frame: delivers it and the held frames that
// follow it, holds it if it is early, drops it if it was seen. Every frame
// calls for an ACK.
func (l *Link) onData(f Frame) {
	l.stats.FramesReceived++
	if !l.synced {
		if f.Type != MsgHello && f.Type != MsgHelloAck {
			l.stats.OutOfWindow++ // left in the line by an earlier connection
			return
		}
		l.synced, l.expect = true, f.Seq
	}
	l.ackDue = true
	d := f.Seq - l.expect
	switch {
	case d >= 1<<31: // before expect: seen already
		l.stats.Duplicates++
	case d >= uint32(l.cfg.Window):
		l.stats.OutOfWindow++
	case d > 0:
		if _, ok := l.held[f.Seq]; ok {
			l.stats.Duplicates++
			return
		}
		l.held[f.Seq] = f
	default:
		l.deliver(f)
		for {
			h, ok := l.held[l.expect]
			if !ok {
				break
			}
			delete(l.held, l.expect)
			l.deliver(h)
		}
	}
}

func (l *Link) deliver(f Frame) {
	l.inbox = append(l.inbox, Message{Type: f.Type, Flags: f.Flags, Payload: f.Payload})
	l.expect++
}
