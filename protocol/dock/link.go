package dock

import (
	"errors"
	"fmt"
	"time"
)

// ErrPeerGone is returned by every Link call once a frame has been sent
// LinkConfig.MaxRetries times more without being acknowledged: the cable is
// out or the peer has stopped.
var ErrPeerGone = errors.New("dock: peer gone")

// ErrQueueFull is returned by Send when LinkConfig.QueueLimit frames are
// queued or unacknowledged; send again once some are acknowledged.
var ErrQueueFull = errors.New("dock: send queue full")

// Link defaults.
const (
	DefaultWindow     = 32
	DefaultMaxPayload = 512
	DefaultMaxRetries = 20
	DefaultQueueLimit = 1024
	// RTOUnknownBaud is the retransmission timeout of a line whose speed is
	// not known (a pty, a pipe).
	RTOUnknownBaud = time.Second
	// MinRTO is the floor of a timeout derived from the baud rate.
	MinRTO = 500 * time.Millisecond
	// rtoSlack is what a derived timeout allows beyond line time, for the
	// peer and the operating systems at both ends.
	rtoSlack = 200 * time.Millisecond
)

// LinkConfig tunes a Link. Zero fields take the defaults.
type LinkConfig struct {
	// Window is how many frames may be sent and not yet acknowledged, and
	// how many out-of-order frames the receiving side holds. Default 32,
	// at most 256.
	Window int
	// MaxPayload is the largest payload sent or accepted, MinPayload to
	// MaxPayloadCap. Default 512: at a bit error rate of 1e-5 a 528-byte
	// frame is hit about 4% of the time, and larger frames lose more than
	// their smaller overhead gains.
	MaxPayload int
	// Baud is the line's speed, from which the retransmission timeout is
	// derived; 0 for a line of unknown speed.
	Baud int
	// RTO, when set, is the retransmission timeout. Otherwise it is twice
	// the time a full window takes on the line at 10 bits a byte, plus
	// 200 ms, and at least MinRTO; RTOUnknownBaud when Baud is 0.
	RTO time.Duration
	// MaxRetries is how many times a frame is sent again before the link
	// fails with ErrPeerGone. Default 20.
	MaxRetries int
	// QueueLimit bounds the frames queued and unacknowledged. Default 1024.
	QueueLimit int
	// ISN is the sequence number of this side's first frame. A driver
	// gives each connection a random one, so that frames of an earlier
	// connection still in the line fall outside the new one's window.
	ISN uint32
	// AwaitHello makes a fresh link take the peer's first sequence number
	// from the first HELLO or HELLO_ACK frame it receives, whatever its
	// number, and drop the frames before it: a connection starts with a
	// hello (docs/PROTOCOL.md §3.4). Off, the peer's first frame is 0.
	AwaitHello bool
}

func (c LinkConfig) withDefaults() LinkConfig {
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	c.Window = min(c.Window, maxWindow)
	if c.MaxPayload <= 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	c.MaxPayload = min(max(c.MaxPayload, MinPayload), MaxPayloadCap)
	if c.MaxRetries <= 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.QueueLimit <= 0 {
		c.QueueLimit = DefaultQueueLimit
	}
	c.QueueLimit = max(c.QueueLimit, c.Window)
	return c
}

// rto returns the retransmission timeout c calls for.
func (c LinkConfig) rto() time.Duration {
	switch {
	case c.RTO > 0:
		return c.RTO
	case c.Baud <= 0:
		return RTOUnknownBaud
	}
	bytes := int64(c.Window) * int64(c.MaxPayload+Overhead)
	line := time.Duration(bytes * 10 * int64(time.Second) / int64(c.Baud))
	return max(2*line+rtoSlack, MinRTO)
}

// maxProbes is how many tail probes are sent in a row without an answer;
// then only the timeout resends.
const maxProbes = 2

// pto returns the probe timeout: how long the line may be silent while
// frames are in flight before the oldest is sent again. When frames
// stream, an ACK comes back every frame time; a silence of several means
// the last frames, which no later frame can show lost, were lost.
func (c LinkConfig) pto() time.Duration {
	if c.Baud <= 0 {
		return c.rto() / 2
	}
	frame := time.Duration(int64(c.MaxPayload+Overhead) * 10 * int64(time.Second) / int64(c.Baud))
	return min(4*frame+rtoSlack, c.rto())
}

// LinkStats counts what a Link did, for the docking log.
type LinkStats struct {
	FramesSent      int64 // message frames sent the first time
	FramesResent    int64 // message frames sent again
	FramesReceived  int64 // good message frames received, duplicates included
	FramesBad       int64 // frames dropped for a bad header, CRC or ACK payload
	Duplicates      int64 // message frames received again
	OutOfWindow     int64 // message frames received too far ahead to hold
	AcksSent        int64
	AcksReceived    int64
	Timeouts        int64 // retransmissions for want of an ACK
	FastRetransmits int64 // retransmissions because a later frame was acked
	Probes          int64 // retransmissions of the oldest frame after a silence
	BytesSent       int64 // line bytes written, all frames
	BytesReceived   int64 // line bytes read, garbage included
	Discarded       int64 // line bytes skipped as garbage or bad frames
	RTO             time.Duration
}

// outFrame is a frame the sending side holds until it is acknowledged.
type outFrame struct {
	Frame
	sent    bool
	resend  bool      // due to be sent again
	sentAt  time.Time // last sent; zero until the link knows the time
	tx      uint64    // order of the last sending, from 1
	retries int
	sacked  bool
	fastAt  time.Time // last fast retransmission
}

// Link delivers messages reliably and in order over a byte stream that
// loses, corrupts and duplicates bytes: a sliding window of frames with
// selective repeat, cumulative and selective acks, fast retransmission and
// a timeout. Both ends run the same Link. It is pure: the caller feeds the
// bytes read and the time, writes what Output returns, and calls Tick at
// Deadline. A Link is not safe for concurrent use.
//
// Call Output after every Send, Input and Tick, and write what it returns.
type Link struct {
	cfg   LinkConfig
	rto   time.Duration
	pto   time.Duration
	now   time.Time
	err   error
	dec   *Decoder
	stats LinkStats

	// sending: out[i] has seq base+i; the sent ones are a prefix.
	out     []*outFrame
	base    uint32
	next    uint32
	nsent   int       // frames of out sent at least once
	txCount uint64    // sendings so far
	ackedTx uint64    // the latest sending known to have arrived
	heard   time.Time // last ACK that acknowledged something, or the start of a flight
	probes  int       // tail probes sent since

	// receiving
	synced bool // the peer's first sequence number is known
	expect uint32
	held   map[uint32]Frame // out-of-order frames within the window
	inbox  []Message
	ackDue bool
}

// NewLink returns a Link with cfg's settings.
func NewLink(cfg LinkConfig) *Link {
	cfg = cfg.withDefaults()
	l := &Link{cfg: cfg, held: map[uint32]Frame{}, base: cfg.ISN, next: cfg.ISN, synced: !cfg.AwaitHello}
	l.rto, l.pto = cfg.rto(), cfg.pto()
	l.dec = NewDecoder(recvLimit(cfg.MaxPayload))
	return l
}

// SetLimits applies the payload size and window negotiated in HELLO and
// HELLO_ACK to both directions; the timeout is derived again unless it was
// set.
func (l *Link) SetLimits(maxPayload, window int) error {
	if maxPayload < MinPayload || maxPayload > MaxPayloadCap || window < 1 || window > maxWindow {
		return fmt.Errorf("dock: link limits %d bytes, %d frames out of range", maxPayload, window)
	}
	l.cfg.MaxPayload, l.cfg.Window = maxPayload, window
	l.cfg.QueueLimit = max(l.cfg.QueueLimit, window)
	l.rto, l.pto = l.cfg.rto(), l.cfg.pto()
	l.dec.SetMaxPayload(recvLimit(maxPayload))
	return nil
}

// Config returns the settings in force.
func (l *Link) Config() LinkConfig { return l.cfg }

// Err returns ErrPeerGone once the link has failed, else nil.
func (l *Link) Err() error { return l.err }

// Send queues a message. It fails once the link has failed, for a payload
// over MaxPayload, and when QueueLimit frames are waiting (ErrQueueFull).
func (l *Link) Send(typ MsgType, flags uint8, payload []byte) error {
	switch {
	case l.err != nil:
		return l.err
	case typ == TypeAck:
		return errors.New("dock: ACK is not a message type")
	case flags&^FlagZ != 0:
		return fmt.Errorf("dock: frame flags %#02x: unknown bits", flags)
	case len(payload) > l.cfg.MaxPayload:
		return fmt.Errorf("dock: %s payload of %d bytes over %d", typ, len(payload), l.cfg.MaxPayload)
	case len(l.out) >= l.cfg.QueueLimit:
		return ErrQueueFull
	}
	f := Frame{Type: typ, Flags: flags, Seq: l.next, Payload: append([]byte(nil), payload...)}
	l.out = append(l.out, &outFrame{Frame: f})
	l.next++
	return nil
}

// NextSeq returns the sequence number the next Send will give its frame.
func (l *Link) NextSeq() uint32 { return l.next }

// AckedSeq returns the peer's cumulative ack: every frame before it has
// been received.
func (l *Link) AckedSeq() uint32 { return l.base }

// Queued returns how many frames are queued or unacknowledged.
func (l *Link) Queued() int { return len(l.out) }

// Idle reports whether every message sent has been acknowledged.
func (l *Link) Idle() bool { return len(l.out) == 0 }

// Deliver returns the messages received in order since the last call.
func (l *Link) Deliver() []Message {
	m := l.inbox
	l.inbox = nil
	return m
}

// Stats returns the counts so far.
func (l *Link) Stats() LinkStats {
	s := l.stats
	d := l.dec.Stats()
	s.Discarded = d.Discarded
	s.FramesBad += d.BadHeader + d.BadCRC
	s.RTO = l.rto
	return s
}

// recvLimit is the largest payload a link accepts: its MaxPayload, but
// always room for an ACK with every selective ack.
func recvLimit(maxPayload int) int { return max(maxPayload, 4*MaxSACK) }
