// Package ymodem sends and receives files by YMODEM batch over a serial line,
// or anything else that reads and writes bytes: the docking path of generic
// handhelds, which take their route as a file and give back their readings
// as one. It drives the pure protocol of meter-sync/protocol/ymodem with the
// clock, the line and the caller's context, and interoperates with lrzsz's
// sb and rb.
//
// Reading: Send and Receive read rw in a goroutine of their own, so that a
// Read that blocks does not stop them from keeping time. Before they return
// they stop it: at once if rw has SetReadDeadline (an *os.File opened on a
// tty or pty, a net.Conn), else when its Read next returns; a serial port
// with a read timeout returns regularly. Bytes read after the end of a
// session are dropped.
//
// Writing: a Write that blocks (stalled flow control, a peer gone from a
// net.Pipe) is given up a second after the context ends, if rw has
// SetWriteDeadline; the second lets the CANs that tell the peer out.
//
// Send and Receive leave rw with no read or write deadline set.
package ymodem

import (
	"io"
	"log/slog"
	"time"

	wire "meter-sync/protocol/ymodem"
)

// File is one file to send: Data, or Size bytes read from Reader.
type File struct {
	Name    string
	Data    []byte
	Reader  io.Reader // when set, Size bytes are read from it instead of Data
	Size    int64     // with Reader
	ModTime time.Time // zero: sent as unknown
}

func (f File) size() int64 {
	if f.Reader != nil {
		return f.Size
	}
	return int64(len(f.Data))
}

// ReceivedFile is one file received, with what its header said.
type ReceivedFile struct {
	// Name is as the sender sent it, in its encoding; it may hold '/' and
	// "..": never use it as a path unchecked.
	Name    string
	Data    []byte
	Size    int64     // the length the header announced, -1 when it did not
	ModTime time.Time // zero when the sender did not say
	Mode    uint32    // Unix mode, 0 when the sender did not say
}

// Progress is reported as a transfer advances, for the docking screen.
type Progress struct {
	File       string
	Index      int   // of the file in the batch, from 0
	Done       int64 // bytes of this file acknowledged (sending) or received
	Total      int64 // bytes in this file, -1 when the sender did not say
	BatchDone  int64 // bytes of all files so far
	BatchTotal int64 // bytes of all files when sending, -1 when receiving
}

// Options tune Send and Receive. A nil *Options means the defaults.
type Options struct {
	// Send and Receive are the protocol's settings (retries, timeouts,
	// block size, largest file); zero fields take the protocol's defaults:
	// 10 retries, 60 s for the peer to start, 10 s for a block. As Receive
	// holds files in memory, Receive.MaxFileSize defaults to 64 MiB here.
	Send    wire.SenderConfig
	Receive wire.ReceiverConfig
	// Turnaround is how long Send waits after the receiver speaks before it
	// sends the next block. lrzsz's rb, like many receivers, flushes its
	// input (TCFLSH) right after writing its ACK or 'C'; a sender that
	// answers faster than that, as one easily does on a pty, loses the start
	// of its block and waits seconds for rb's NAK. Default 1 ms; negative
	// for none.
	Turnaround time.Duration
	// Progress, when set, is called as bytes are acknowledged or received.
	Progress func(Progress)
	// Logger gets a line per file (INFO) and per retransmission (WARN).
	// Default: discard.
	Logger *slog.Logger
}

const (
	defaultMaxFileSize = 64 << 20
	defaultTurnaround  = time.Millisecond
)

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Turnaround == 0 {
		c.Turnaround = defaultTurnaround
	}
	if c.Receive.MaxFileSize <= 0 {
		c.Receive.MaxFileSize = defaultMaxFileSize
	}
	if c.Progress == nil {
		c.Progress = func(Progress) {}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// fileMode is what files are announced with: a plain file, rw-r--r--. A
// mode matters to lrzsz's rb, which without the plain-file bit takes the
// sender for CP/M and lowercases an all-uppercase name.
const fileMode = 0o100644
