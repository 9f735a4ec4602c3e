// Package ymodem sends and receives files by YMODEM batch over a serial line,
// or anything else that reads and writes bytes: the docking path of generic
// handhelds, which take their route as a file and give back their readings
// as one. It drives the pure protocol of meter-sync/protocol/ymodem with the
// clock, the line and the caller's context, and interoperates with lrzsz's
// sb and rb.
package ymodem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// Send sends files as one YMODEM batch over rw and returns when the receiver
// has acknowledged the end of the batch, or on failure: a *wire.Error saying
// which file and block, and why. Cancelling ctx aborts the transfer and tells
// the receiver.
//
// Send waits up to opts.Send.StartTimeout (60 s) for the receiver's first
// 'C' or NAK. While it runs, a goroutine reads rw; see the package's notes
// on reading.
func Send(ctx context.Context, rw io.ReadWriter, files []File, opts *Options) error {
	o := opts.withDefaults()
	var total int64
	for i, f := range files {
		if f.Name == "" || (f.Reader != nil && f.Size < 0) {
			return fmt.Errorf("ymodem: file %d: a name and a known size are needed", i)
		}
		total += f.size()
	}
	l := startLine(rw)
	defer l.stop()
	defer guardWrites(ctx, rw)()

	s := wire.NewSender(o.Send)
	out := s.Start(time.Now())
	var (
		pending  []byte
		idx      = -1
		src      io.Reader
		sentDone int64     // bytes of the files before this one
		acked    int64     = -1
		buf                = make([]byte, wire.BlockSize1K)
		heard    time.Time // when the receiver last spoke
	)
	for {
		if len(out.Write) > 0 {
			if !out.Done {
				pause(ctx, o.Turnaround-time.Since(heard))
			}
			if _, err := rw.Write(out.Write); err != nil && !out.Done {
				out = s.Abort(fmt.Errorf("writing: %w", err))
				continue
			}
		}
		if out.Problem != nil {
			o.Logger.Warn("ymodem send", "problem", out.Problem.Error())
		}
		if idx >= 0 && idx < len(files) && out.Acked != acked {
			acked = out.Acked
			f := files[idx]
			o.Progress(Progress{File: f.Name, Index: idx, Done: acked, Total: f.size(), BatchDone: sentDone + acked, BatchTotal: total})
		}
		if out.FileDone {
			sentDone += files[idx].size()
			o.Logger.Info("ymodem sent", "file", files[idx].Name, "bytes", files[idx].size())
		}
		if out.Done {
			return out.Err
		}
		switch out.Need {
		case wire.NeedFile:
			idx++
			acked = -1
			if idx == len(files) {
				out = s.File(nil, time.Now())
				continue
			}
			f := files[idx]
			src = f.Reader
			if src == nil {
				src = bytes.NewReader(f.Data)
			}
			out = s.File(&wire.FileInfo{Name: f.Name, Size: f.size(), ModTime: f.ModTime, Mode: fileMode}, time.Now())
			continue
		case wire.NeedData:
			n, err := io.ReadFull(src, buf[:out.NeedLen])
			if err != nil {
				out = s.Abort(fmt.Errorf("reading the file at byte %d of %d: %w", out.Acked+int64(n), files[idx].size(), err))
				continue
			}
			out = s.Data(buf[:n], time.Now())
			continue
		}
		if len(pending) > 0 {
			out = s.Read(pending, time.Now())
			pending = pending[out.Consumed:]
			continue
		}
		p, err := l.next(ctx, out.Deadline)
		switch {
		case errors.Is(err, errDeadline):
			out = s.Timeout(time.Now())
		case err != nil && ctx.Err() == nil: // the line failed or closed
			out = s.Closed(err)
		case err != nil:
			out = s.Abort(err)
		default:
			heard = time.Now()
			out = s.Read(p, heard)
			pending = p[out.Consumed:]
		}
	}
}

// Receive receives one YMODEM batch over rw. It returns the files when the
// sender ends the batch; on failure, the files completed before it and a
// *wire.Error saying which file and block, and why. Cancelling ctx aborts
// the transfer and tells the sender.
//
// Receive asks for the first file every 3 s for up to
// opts.Receive.StartTimeout (60 s). While it runs, a goroutine reads rw; see
// the package's notes on reading.
func Receive(ctx context.Context, rw io.ReadWriter, opts *Options) ([]ReceivedFile, error) {
	o := opts.withDefaults()
	l := startLine(rw)
	defer l.stop()
	defer guardWrites(ctx, rw)()

	r := wire.NewReceiver(o.Receive)
	out := r.Start(time.Now())
	var (
		files    []ReceivedFile
		complete int // files received whole
		pending  []byte
		before   int64 // bytes of the completed files
	)
	for {
		if len(out.Write) > 0 {
			if _, err := rw.Write(out.Write); err != nil && !out.Done {
				out = r.Abort(fmt.Errorf("writing: %w", err))
				continue
			}
		}
		if out.Problem != nil {
			o.Logger.Warn("ymodem receive", "problem", out.Problem.Error())
		}
		if out.File != nil {
			files = append(files, newReceived(out.File))
		}
		if len(out.Data) > 0 {
			f := &files[len(files)-1]
			f.Data = append(f.Data, out.Data...)
			o.Progress(Progress{File: f.Name, Index: len(files) - 1, Done: int64(len(f.Data)), Total: f.Size,
				BatchDone: before + int64(len(f.Data)), BatchTotal: -1})
		}
		if out.FileEnd {
			f := files[len(files)-1]
			complete = len(files)
			before += int64(len(f.Data))
			o.Logger.Info("ymodem received", "file", f.Name, "bytes", len(f.Data))
		}
		if out.Done {
			return files[:complete], out.Err
		}
		if out.More || len(pending) > 0 {
			out = r.Read(pending, time.Now())
			pending = pending[out.Consumed:]
			continue
		}
		p, err := l.next(ctx, out.Deadline)
		switch {
		case errors.Is(err, errDeadline):
			out = r.Timeout(time.Now())
		case err != nil:
			out = r.Abort(err)
		default:
			out = r.Read(p, time.Now())
			pending = p[out.Consumed:]
		}
	}
}

func newReceived(fi *wire.FileInfo) ReceivedFile {
	f := ReceivedFile{Name: fi.Name, Size: fi.Size, ModTime: fi.ModTime, Mode: fi.Mode}
	if fi.Size >= 0 {
		f.Data = make([]byte, 0, fi.Size)
	}
	return f
}

// pause waits for d, or less if ctx ends.
func pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
