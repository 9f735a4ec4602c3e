package ymodem

import (
	"errors"
	"fmt"
	"time"
)

// SenderConfig holds a Sender's settings. Zero fields take the defaults.
type SenderConfig struct {
	// Retries is how many times a block, header or EOT is sent again
	// before the session is given up. Default 10.
	Retries int
	// StartTimeout is how long to wait for the receiver's first 'C' or NAK:
	// the time a person has to start the receiver. Default 60 s.
	StartTimeout time.Duration
	// AckTimeout is how long to wait for the answer to a block before
	// sending it again. It must be well over the receiver's own timeout
	// (lrzsz's rb NAKs after 5 to 13 s of silence, the spec after 10 s):
	// the receiver drives retransmission, and a block sent again by both
	// sides at once arrives twice, and the second ACK would be taken for the
	// next block's. Default 30 s.
	AckTimeout time.Duration
	// BlockSize is 1024 (the default) or 128 for receivers that take only
	// XMODEM's short blocks. With 1024, the end of a file goes in 128-byte
	// blocks once no more than 896 bytes remain, as lrzsz does: less padding.
	BlockSize int
}

func (c SenderConfig) withDefaults() SenderConfig {
	if c.Retries <= 0 {
		c.Retries = DefaultRetries
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = 60 * time.Second
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 30 * time.Second
	}
	if c.BlockSize != BlockSize {
		c.BlockSize = BlockSize1K
	}
	return c
}

// Need is what a Sender wants from its caller before it can go on.
type Need uint8

const (
	NeedNothing Need = iota
	NeedFile         // call File with the next file, or nil when there are no more
	NeedData         // call Data with exactly NeedLen more bytes of the current file
)

// SendOutput is what a Sender asks of its caller after a step.
type SendOutput struct {
	// Consumed is how many bytes of Read's input were used; pass the rest
	// to Read again once Need is answered.
	Consumed int
	// Write is to be written to the line, now. It is valid until the next call.
	Write []byte
	// Deadline is when to call Timeout if nothing arrives before; zero while
	// the Sender waits on its caller (Need).
	Deadline time.Time
	Need     Need
	NeedLen  int
	// Acked is how many bytes of the current file the receiver has acknowledged.
	Acked int64
	// FileDone reports that the receiver has acknowledged the current file's end.
	FileDone bool
	// Problem, when set, says why something is being sent again: worth a
	// warning.
	Problem error
	// Done reports the end of the session: every file was delivered when
	// Err is nil.
	Done bool
	Err  error
}

type txState uint8

const (
	txStart     txState = iota // waiting for 'C' or NAK before a header
	txNeedFile                 // waiting for the caller's next file
	txHeaderAck                // header sent
	txDataStart                // header acknowledged, waiting for 'C' or NAK
	txNeedData                 // waiting for the caller's bytes
	txBlockAck                 // data block sent
	txEOTAck                   // EOT sent
	txEndAck                   // end-of-batch block sent
	txDone
)

// Sender is the sending side of a YMODEM batch. Start it, answer its Needs
// with File and Data, pass it what the line brings with Read and call Timeout
// when a deadline passes.
type Sender struct {
	cfg      SenderConfig
	state    txState
	check    Check
	first    bool // no receiver has spoken yet
	deadline time.Time
	tries    int
	lastCAN  bool

	file   FileInfo
	seq    byte
	blocks int   // data blocks sent of this file
	acked  int64 // bytes of this file acknowledged
	inLast int   // file bytes in the block awaiting its ACK
	want   int   // bytes asked for with NeedData
	size   int   // size of the next data block

	frame   []byte // the last frame sent, for sending again
	done    bool
	doneErr error
}

// NewSender returns a Sender with cfg's settings.
func NewSender(cfg SenderConfig) *Sender {
	return &Sender{cfg: cfg.withDefaults(), first: true}
}

// Start begins the session: the Sender waits for the receiver.
func (s *Sender) Start(now time.Time) SendOutput {
	s.state = txStart
	s.deadline = now.Add(s.cfg.StartTimeout)
	return SendOutput{Deadline: s.deadline}
}

func (s *Sender) output() SendOutput {
	return SendOutput{Deadline: s.deadline, Acked: s.acked}
}

// send sends frame (or EOT) and waits for its answer.
func (s *Sender) send(st txState, now time.Time) SendOutput {
	s.state = st
	s.deadline = now.Add(s.cfg.AckTimeout)
	out := s.output()
	out.Write = s.frame
	return out
}

func (s *Sender) sendBlock(b Block, st txState, now time.Time) SendOutput {
	s.frame, _ = AppendFrame(s.frame[:0], b, s.check) // b is always 128 or 1024 bytes
	s.tries = 0
	return s.send(st, now)
}

// Read takes bytes from the line. It stops at the first one that calls for
// an answer; Consumed says how far it got.
func (s *Sender) Read(p []byte, now time.Time) SendOutput {
	for i, b := range p {
		if s.done || s.state == txNeedFile || s.state == txNeedData {
			out := s.waiting()
			out.Consumed = i
			return out
		}
		if b == CAN {
			if s.lastCAN {
				out := s.fail(ErrCanceled, false)
				out.Consumed = len(p)
				return out
			}
			s.lastCAN = true
			continue
		}
		s.lastCAN = false
		if out, ok := s.answer(b, now); ok {
			out.Consumed = i + 1
			if len(out.Write) > 0 || out.Need != NeedNothing {
				// Whatever came with the byte that has us send something
				// new is stale, sent before the receiver could see it: 'C's
				// sent while nobody listened, an ACK or NAK doubled. Taken
				// for the answer to the new frame, it would put the two
				// sides out of step.
				out.Consumed = len(p)
			}
			return out
		}
	}
	out := s.waiting()
	out.Consumed = len(p)
	return out
}

// waiting is the output of a step that changed nothing.
func (s *Sender) waiting() SendOutput {
	out := s.output()
	switch {
	case s.done:
		out.Done, out.Err = true, s.doneErr
	case s.state == txNeedFile:
		out.Need, out.Deadline = NeedFile, time.Time{}
	case s.state == txNeedData:
		out.Need, out.NeedLen, out.Deadline = NeedData, s.want, time.Time{}
	}
	return out
}

// answer handles one byte from the receiver; ok is false when it changes
// nothing.
func (s *Sender) answer(b byte, now time.Time) (SendOutput, bool) {
	start := b == WantCRC || b == NAK
	switch s.state {
	case txStart:
		if !start {
			return SendOutput{}, false
		}
		if s.first {
			s.first = false
			if b == NAK {
				s.check = CheckChecksum
			}
		}
		s.state = txNeedFile
		return s.waiting(), true
	case txHeaderAck:
		if b == ACK {
			s.state, s.tries = txDataStart, 0
			s.deadline = now.Add(s.cfg.AckTimeout)
			return SendOutput{}, false
		}
		if start {
			return s.again(byteName(b), now)
		}
	case txDataStart:
		if start {
			s.tries = 0
			return s.next(now), true
		}
	case txBlockAck:
		if b == ACK {
			s.acked += int64(s.inLast)
			return s.next(now), true
		}
		if start {
			return s.again(byteName(b), now)
		}
	case txEOTAck:
		if b == ACK {
			s.state, s.tries = txStart, 0
			s.deadline = now.Add(s.cfg.AckTimeout)
			out := s.output()
			out.FileDone = true
			return out, true
		}
		if b == WantCRC && s.blocks > 0 {
			// Once data has flowed a receiver says 'C' only to ask for
			// the next header: it took the EOT and its ACK was lost.
			s.state = txNeedFile
			out := s.waiting()
			out.FileDone = true
			return out, true
		}
		if start {
			return s.again(byteName(b), now)
		}
	case txEndAck:
		if b == ACK {
			s.done, s.state = true, txDone
			out := s.output()
			out.Done = true
			return out, true
		}
		if start {
			return s.again(byteName(b), now)
		}
	}
	return SendOutput{}, false
}

// next sends EOT if the file is complete, else asks for its next bytes.
func (s *Sender) next(now time.Time) SendOutput {
	left := s.file.Size - s.acked
	if left == 0 {
		s.frame = append(s.frame[:0], EOT)
		s.tries = 0
		return s.send(txEOTAck, now)
	}
	s.size = s.cfg.BlockSize
	if left <= BlockSize1K-BlockSize {
		s.size = BlockSize
	}
	s.want = int(min(left, int64(s.size)))
	s.state = txNeedData
	return s.waiting()
}

// again sends the last frame again, or gives up after too many tries; why
// is what the receiver said ("NAK", "'C'") or "timeout".
func (s *Sender) again(why string, now time.Time) (SendOutput, bool) {
	s.tries++
	if s.tries > s.cfg.Retries {
		return s.fail(fmt.Errorf("no ACK after %d tries (last: %s)", s.tries, why), true), true
	}
	out := s.send(s.state, now)
	if s.state != txEOTAck || why != "NAK" || s.tries > 1 { // the spec's receiver NAKs the first EOT
		out.Problem = s.wrap(fmt.Errorf("%s, sending again (try %d of %d)", why, s.tries, s.cfg.Retries))
	}
	return out, true
}

// File gives the Sender the next file to send, or nil to end the batch.
// Its Size must be known.
func (s *Sender) File(fi *FileInfo, now time.Time) SendOutput {
	if s.state != txNeedFile {
		return s.fail(errors.New("File called when no file was asked for"), true)
	}
	if fi == nil {
		return s.sendBlock(EndOfBatch(), txEndAck, now)
	}
	b, err := HeaderBlock(*fi)
	s.file = *fi
	s.seq, s.blocks, s.acked = 0, 0, 0
	if err != nil {
		return s.fail(err, true)
	}
	return s.sendBlock(b, txHeaderAck, now)
}

// Data gives the Sender the bytes it asked for with NeedData.
func (s *Sender) Data(chunk []byte, now time.Time) SendOutput {
	switch {
	case s.state != txNeedData:
		return s.fail(errors.New("Data called when no data was asked for"), true)
	case len(chunk) != s.want:
		return s.fail(fmt.Errorf("Data got %d bytes, want %d", len(chunk), s.want), true)
	}
	s.seq++
	s.blocks++
	s.inLast = len(chunk)
	b, _ := DataBlock(s.seq, chunk, s.size) // want <= size, size is 128 or 1024
	return s.sendBlock(b, txBlockAck, now)
}

// Timeout tells the Sender its deadline has passed.
func (s *Sender) Timeout(now time.Time) SendOutput {
	switch s.state {
	case txDone, txNeedFile, txNeedData:
		return s.waiting()
	case txStart:
		if s.first {
			return s.fail(fmt.Errorf("no receiver: no 'C' or NAK in %v", s.cfg.StartTimeout), true)
		}
		return s.wait("no 'C' asking for the next header", now)
	case txDataStart:
		return s.wait("no 'C' asking for the data", now)
	case txEndAck:
		// Every file has been acknowledged; a receiver that has gone
		// after the last one is not worth minutes of retries.
		s.done, s.state = true, txDone
		out := s.output()
		out.Done = true
		out.Problem = &Error{Block: -1, Op: "end of batch", Err: errors.New("no ACK; every file had been acknowledged")}
		return out
	}
	out, _ := s.again("timeout", now)
	return out
}

// wait counts a timeout in a state where the receiver is to speak first.
func (s *Sender) wait(why string, now time.Time) SendOutput {
	s.tries++
	if s.tries > s.cfg.Retries {
		return s.fail(fmt.Errorf("%s after %d timeouts", why, s.tries), true)
	}
	s.deadline = now.Add(s.cfg.AckTimeout)
	out := s.output()
	out.Problem = s.wrap(fmt.Errorf("%s (timeout %d of %d)", why, s.tries, s.cfg.Retries))
	return out
}

// Closed tells the Sender the line has closed (the receiver hung up) with
// err. Once every file has been acknowledged, that is success: lrzsz's rb
// exits right after its ACK of the end of the batch, and on a pty the ACK
// can be lost with the line. Otherwise the session has failed.
func (s *Sender) Closed(err error) SendOutput {
	if s.state != txEndAck {
		return s.fail(err, false)
	}
	s.done, s.state = true, txDone
	out := s.output()
	out.Done = true
	out.Problem = &Error{Block: -1, Op: "end of batch", Err: fmt.Errorf("line closed before the receiver's last ACK; every file had been acknowledged: %w", err)}
	return out
}

// Abort ends the session on the caller's behalf (its context is done, its
// source failed): it tells the receiver with CANs and returns cause in an
// *Error.
func (s *Sender) Abort(cause error) SendOutput {
	return s.fail(cause, true)
}

func (s *Sender) fail(cause error, tell bool) SendOutput {
	s.doneErr = s.wrap(cause)
	s.done, s.state = true, txDone
	out := s.output()
	out.Done, out.Err = true, s.doneErr
	if tell {
		out.Write = CancelBytes()
	}
	return out
}

// wrap places err at the current file and block.
func (s *Sender) wrap(err error) error {
	switch s.state {
	case txStart:
		if s.first {
			return &Error{Block: -1, Op: "waiting for the receiver", Err: err}
		}
		return &Error{File: s.file.Name, Block: -1, Op: "after the file", Err: err}
	case txNeedFile, txHeaderAck:
		return &Error{File: s.file.Name, Block: 0, Err: err}
	case txEOTAck:
		return &Error{File: s.file.Name, Block: -1, Op: "end of file", Err: err}
	case txEndAck:
		return &Error{Block: -1, Op: "end of batch", Err: err}
	case txDataStart:
		return &Error{File: s.file.Name, Block: 1, Err: err}
	}
	return &Error{File: s.file.Name, Block: s.blocks, Err: err}
}

func byteName(b byte) string {
	if b == NAK {
		return "NAK"
	}
	return fmt.Sprintf("%q", b)
}
