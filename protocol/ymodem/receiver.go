package ymodem

import (
	"errors"
	"fmt"
	"time"
)

// ReceiverConfig holds a Receiver's timing. Zero fields take the defaults.
type ReceiverConfig struct {
	// Retries is how many times one block is asked for again before the
	// session is given up. Default 10.
	Retries int
	// StartInterval is how often 'C' is sent while waiting for a header.
	// Default 3 s.
	StartInterval time.Duration
	// StartTimeout is how long to wait for each header, the first one
	// included: the time a person has to start the sender. Default 60 s.
	StartTimeout time.Duration
	// BlockTimeout is how long to wait for the next block. Default 10 s.
	BlockTimeout time.Duration
	// CharTimeout is how long the line may be silent in the middle of a
	// block before it is taken as lost. Default 1 s.
	CharTimeout time.Duration
	// Quiet is how long the line must be silent after a bad block before it
	// is asked for again, so that the rest of a damaged frame is not taken
	// for the start of the next one; and after an EOT before it is
	// believed, so that an EOT byte in a damaged frame does not end the
	// file. Default 100 ms, as lrzsz.
	Quiet time.Duration
	// MaxFileSize, when positive, refuses a file announced or found to be
	// larger: the session is cancelled.
	MaxFileSize int64
}

func (c ReceiverConfig) withDefaults() ReceiverConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Retries <= 0 {
		c.Retries = DefaultRetries
	}
	def(&c.StartInterval, 3*time.Second)
	def(&c.StartTimeout, 60*time.Second)
	def(&c.BlockTimeout, 10*time.Second)
	def(&c.CharTimeout, time.Second)
	def(&c.Quiet, 100*time.Millisecond)
	return c
}

// RecvOutput is what a Receiver asks of its caller after a step.
type RecvOutput struct {
	// Consumed is how many bytes of Read's input were used.
	Consumed int
	// More asks for Read to be called again with the rest of its input,
	// even when that is empty: there is more to report.
	More bool
	// Write is to be written to the line, now. It is valid until the next call.
	Write []byte
	// Deadline is when to call Timeout if nothing arrives before.
	Deadline time.Time
	// File is set when a file's header has been accepted.
	File *FileInfo
	// Data is the current file's next bytes, padding removed. It aliases
	// the Receiver's buffers and is valid until the next call.
	Data []byte
	// FileEnd reports that the current file is complete.
	FileEnd bool
	// Problem, when set, says what was wrong with the line in this step
	// (a bad block, a timeout) while the session goes on: worth a warning.
	Problem error
	// Done reports the end of the session: the batch is complete when Err
	// is nil.
	Done bool
	Err  error
}

type rxState uint8

const (
	rxHeader rxState = iota // waiting for block 0
	rxData                  // waiting for data blocks or EOT
	rxPurge                 // waiting for silence before asking again
	rxEOT                   // an EOT seen, waiting for silence to believe it
	rxDone
)

// Receiver is the receiving side of a YMODEM batch. It asks for CRC-16 and
// takes 128- and 1024-byte blocks in any mix. Start it, then pass it what the
// line brings with Read and call Timeout when a deadline passes.
type Receiver struct {
	cfg      ReceiverConfig
	dec      Decoder
	state    rxState
	resume   rxState // the state to go back to after rxPurge or rxEOT
	deadline time.Time
	waitFrom time.Time // when the wait for the current header began
	purgeEnd time.Time // the latest a purge may last
	started  bool

	file   FileInfo
	seq    byte  // number of the last good block
	blocks int   // good data blocks of this file
	got    int64 // bytes of this file handed out
	sawEOT bool  // an EOT was NAKed, as the spec asks, and a second is awaited
	errs   int   // failures in a row

	held    []byte // size unknown: the last block, kept back to strip its padding
	out     []byte // the write buffer
	spare   []byte
	done    bool
	doneErr error
}

// NewReceiver returns a Receiver with cfg's timing.
func NewReceiver(cfg ReceiverConfig) *Receiver {
	return &Receiver{cfg: cfg.withDefaults()}
}

// Start begins the session: it asks for the first header.
func (r *Receiver) Start(now time.Time) RecvOutput {
	r.started = true
	r.waitHeader(now)
	return r.output(WantCRC)
}

func (r *Receiver) waitHeader(now time.Time) {
	r.state = rxHeader
	r.waitFrom = now
	r.errs = 0
	r.setDeadline(now, r.cfg.StartInterval)
}

// setDeadline sets the deadline d from now, but never past the end of the
// wait for a header.
func (r *Receiver) setDeadline(now time.Time, d time.Duration) {
	r.deadline = now.Add(d)
	if r.state == rxHeader {
		if end := r.waitFrom.Add(r.cfg.StartTimeout); r.deadline.After(end) {
			r.deadline = end
		}
	}
}

func (r *Receiver) output(write ...byte) RecvOutput {
	r.out = append(r.out[:0], write...)
	return RecvOutput{Write: r.out, Deadline: r.deadline}
}

// Read takes bytes from the line. It stops after the first thing that calls
// for an answer; Consumed says how far it got, and More whether to call it
// again.
func (r *Receiver) Read(p []byte, now time.Time) RecvOutput {
	switch {
	case r.done:
		return RecvOutput{Consumed: len(p), Done: true, Err: r.doneErr}
	case r.state == rxPurge:
		r.deadline = now.Add(r.cfg.Quiet)
		if r.deadline.After(r.purgeEnd) {
			r.deadline = r.purgeEnd
		}
		return RecvOutput{Consumed: len(p), Deadline: r.deadline}
	case r.state == rxEOT && len(p) > 0:
		r.state = r.resume
		out := r.purge(errors.New("EOT followed by more bytes"), now)
		out.Consumed = len(p)
		return out
	}
	n := 0
	for {
		ev, k := r.dec.Decode(p[n:])
		n += k
		if ev.Kind == EventNone {
			break
		}
		out := r.event(ev, now)
		out.Consumed, out.More = n, true
		if r.state == rxPurge || r.state == rxEOT || r.done {
			out.Consumed, out.More = len(p), false
		}
		return out
	}
	if r.dec.Buffered() > 0 { // the rest of a frame should follow promptly
		r.deadline = now.Add(r.cfg.CharTimeout)
	}
	return RecvOutput{Consumed: n, Deadline: r.deadline}
}

func (r *Receiver) event(ev Event, now time.Time) RecvOutput {
	switch ev.Kind {
	case EventCancel:
		return r.fail(ErrCanceled, false)
	case EventBadBlock:
		return r.purge(fmt.Errorf("bad CRC in block numbered %d", ev.Block.Num), now)
	case EventGarbage:
		// Most likely a frame whose start was damaged: wait for its end,
		// then ask for it again rather than wait for a timeout.
		return r.purge(fmt.Errorf("%d bytes of garbage", ev.Skipped), now)
	case EventEOT:
		if r.state == rxHeader {
			// The sender missed our ACK of its EOT and sent it again.
			r.setDeadline(now, r.cfg.StartInterval)
			return r.output(ACK, WantCRC)
		}
		if r.sawEOT {
			return r.eot(now)
		}
		// Believe a first EOT only if the line stays quiet after it.
		r.resume, r.state = r.state, rxEOT
		r.deadline = now.Add(r.cfg.Quiet)
		return RecvOutput{Deadline: r.deadline}
	}
	if r.state == rxHeader {
		return r.header(ev.Block, now)
	}
	return r.data(ev.Block, now)
}

func (r *Receiver) header(b Block, now time.Time) RecvOutput {
	if b.Num != 0 {
		return r.fail(fmt.Errorf("got block numbered %d where a header (block 0) belongs: not a YMODEM sender?", b.Num), true)
	}
	fi, end, err := ParseHeader(b.Data)
	if err != nil {
		return r.fail(err, true)
	}
	if max := r.cfg.MaxFileSize; max > 0 && fi.Size > max {
		return r.fail(&Error{File: fi.Name, Block: 0, Err: fmt.Errorf("refused: %d bytes are over the %d-byte limit", fi.Size, max)}, true)
	}
	if end {
		r.done, r.state = true, rxDone
		out := r.output(ACK)
		out.Done = true
		return out
	}
	r.file = fi
	r.seq, r.blocks, r.got, r.sawEOT, r.errs = 0, 0, 0, false, 0
	r.held = r.held[:0]
	r.state = rxData
	r.setDeadline(now, r.cfg.BlockTimeout)
	out := r.output(ACK, WantCRC)
	out.File = &r.file
	return out
}

func (r *Receiver) data(b Block, now time.Time) RecvOutput {
	r.sawEOT = false // a block after a single EOT: that EOT was noise
	r.setDeadline(now, r.cfg.BlockTimeout)
	switch b.Num {
	case r.seq + 1:
	case r.seq:
		// Sent again because our ACK was lost: acknowledge, keep nothing.
		// Before the first data block it is the header, which wants the 'C'
		// too.
		if r.blocks == 0 {
			return r.output(ACK, WantCRC)
		}
		return r.output(ACK)
	default:
		return r.fail(fmt.Errorf("out of sequence: got block numbered %d, want %d", b.Num, r.seq+1), true)
	}
	// Without a length, the last block's padding is not yet known: allow it.
	if max := r.cfg.MaxFileSize; max > 0 && r.file.Size < 0 && r.got+int64(len(r.held)) > max {
		return r.fail(fmt.Errorf("refused: over the %d-byte limit", max), true)
	}
	r.seq++
	r.blocks++
	r.errs = 0
	out := r.output(ACK)
	if r.file.Size < 0 {
		out.Data = r.hold(b.Data)
	} else if left := r.file.Size - r.got; left > 0 {
		out.Data = b.Data[:min(int64(len(b.Data)), left)]
	}
	r.got += int64(len(out.Data))
	return out
}

// hold keeps data back and returns what was held before it: without a
// length, only the last block's padding can be told from the file.
func (r *Receiver) hold(data []byte) []byte {
	prev := r.held
	r.held = append(r.spare[:0], data...)
	r.spare = prev
	return prev
}

// eot answers an EOT: the first is NAKed, as the spec asks, the second ends
// the file.
func (r *Receiver) eot(now time.Time) RecvOutput {
	if !r.sawEOT {
		r.sawEOT = true
		r.setDeadline(now, r.cfg.BlockTimeout)
		return r.output(NAK)
	}
	var tail []byte
	if r.file.Size < 0 {
		tail = r.held
		for len(tail) > 0 && tail[len(tail)-1] == SUB {
			tail = tail[:len(tail)-1]
		}
		r.got += int64(len(tail))
	} else if r.got < r.file.Size {
		return r.fail(fmt.Errorf("file ended after %d of its %d bytes", r.got, r.file.Size), true)
	}
	r.waitHeader(now)
	out := r.output(ACK, WantCRC)
	out.Data = tail
	out.FileEnd = true
	return out
}

// purge drops what the line brings until it is quiet, then asks again.
func (r *Receiver) purge(problem error, now time.Time) RecvOutput {
	if out, over := r.failure(problem, now); over {
		return out
	}
	out := RecvOutput{Problem: r.problem(problem)}
	r.dec.Reset()
	r.resume = r.state
	r.state = rxPurge
	r.purgeEnd = now.Add(r.cfg.BlockTimeout)
	r.deadline = now.Add(r.cfg.Quiet)
	out.Deadline = r.deadline
	return out
}

// failure counts a failure and ends the session when there were too many.
// Before a header, noise on the line is not counted: only the wait for the
// header ends.
func (r *Receiver) failure(problem error, now time.Time) (RecvOutput, bool) {
	if r.state == rxHeader {
		if !now.Before(r.waitFrom.Add(r.cfg.StartTimeout)) {
			return r.fail(fmt.Errorf("no good header in %v, the last problem: %w", r.cfg.StartTimeout, problem), true), true
		}
		return RecvOutput{}, false
	}
	r.errs++
	if r.errs > r.cfg.Retries {
		return r.fail(fmt.Errorf("%d failures in a row, the last: %w", r.errs, problem), true), true
	}
	return RecvOutput{}, false
}

func (r *Receiver) problem(err error) error {
	if r.errs == 0 {
		return r.wrap(err)
	}
	return r.wrap(fmt.Errorf("%w (try %d of %d)", err, r.errs, r.cfg.Retries))
}

// ask sends the request for the block awaited: 'C' for a header or a
// file's first data block, NAK after that.
func (r *Receiver) ask(now time.Time) RecvOutput {
	if r.state == rxHeader {
		r.setDeadline(now, r.cfg.StartInterval)
		return r.output(WantCRC)
	}
	r.setDeadline(now, r.cfg.BlockTimeout)
	if r.blocks == 0 {
		return r.output(WantCRC)
	}
	return r.output(NAK)
}

// Timeout tells the Receiver its deadline has passed.
func (r *Receiver) Timeout(now time.Time) RecvOutput {
	switch r.state {
	case rxDone:
		return RecvOutput{Done: true, Err: r.doneErr}
	case rxPurge:
		r.state = r.resume
		return r.ask(now)
	case rxEOT:
		r.state = r.resume
		return r.eot(now)
	case rxHeader:
		r.dec.Reset()
		if !now.Before(r.waitFrom.Add(r.cfg.StartTimeout)) {
			if r.file.Name == "" {
				return r.fail(fmt.Errorf("no sender after %v", r.cfg.StartTimeout), true)
			}
			return r.fail(fmt.Errorf("no header in the %v after %q", r.cfg.StartTimeout, r.file.Name), true)
		}
		return r.ask(now)
	}
	problem := errors.New("timeout waiting for a block")
	if r.dec.Reset() > 0 {
		problem = errors.New("timeout in the middle of a block")
	}
	if out, over := r.failure(problem, now); over {
		return out
	}
	out := r.ask(now)
	out.Problem = r.problem(problem)
	return out
}

// Abort ends the session on the caller's behalf (its context is done, or it
// refuses a file): it tells the peer with CANs and returns cause in an *Error.
func (r *Receiver) Abort(cause error) RecvOutput {
	return r.fail(cause, true)
}

func (r *Receiver) fail(cause error, tell bool) RecvOutput {
	r.doneErr = cause
	if e := (*Error)(nil); !errors.As(cause, &e) {
		r.doneErr = r.wrap(cause)
	}
	r.done, r.state = true, rxDone
	out := RecvOutput{Done: true, Err: r.doneErr}
	if tell {
		out.Write = CancelBytes()
	}
	return out
}

// wrap places err at the current file and block.
func (r *Receiver) wrap(err error) error {
	st := r.state
	if st == rxPurge || st == rxEOT {
		st = r.resume
	}
	switch {
	case st == rxHeader:
		return &Error{Block: 0, Err: err}
	case r.sawEOT:
		return &Error{File: r.file.Name, Block: -1, Op: "end of file", Err: err}
	}
	return &Error{File: r.file.Name, Block: r.blocks + 1, Err: err}
}
