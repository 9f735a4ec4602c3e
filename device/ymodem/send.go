package ymodem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	wire "meter-sync/protocol/ymodem"
)

// Send sends files as one YMODEM batch over rw and returns when the receiver
// has acknowledged the end of the batch, or on failure: a *wire.Error saying
// which file and block, and why. Cancelling ctx aborts the transfer and tells
// the receiver.
//
// Send waits up to opts.Send.StartTimeout (60 s) for the receiver's first
// 'C' or NAK. Files are announced as plain Unix files (mode 0100644): lrzsz's
// rb takes a sender without a mode for CP/M, and lowercases an all-capitals
// name.
func Send(ctx context.Context, rw io.ReadWriter, files []File, opts *Options) error {
	x := &sending{ctx: ctx, rw: rw, o: opts.withDefaults(), files: files, idx: -1, acked: -1,
		buf: make([]byte, wire.BlockSize1K)}
	for i, f := range files {
		if f.Name == "" || (f.Reader != nil && f.Size < 0) {
			return fmt.Errorf("ymodem: file %d: a name and a known size are needed", i)
		}
		x.total += f.size()
	}
	x.line = startLine(rw)
	defer x.line.stop()
	defer guardWrites(ctx, rw)()

	x.s = wire.NewSender(x.o.Send)
	out := x.s.Start(time.Now())
	for {
		if out = x.emit(out); out.Done {
			return out.Err
		}
		out = x.next(out)
	}
}

// sending is one Send under way.
type sending struct {
	ctx     context.Context
	rw      io.ReadWriter
	o       Options
	files   []File
	total   int64
	line    *line
	s       *wire.Sender
	pending []byte    // read from the line, not yet taken by the Sender
	heard   time.Time // when the receiver last spoke
	idx     int       // of the current file
	src     io.Reader // of the current file
	before  int64     // bytes of the files delivered
	acked   int64     // of the current file, as last reported
	buf     []byte
}

// emit carries out what the Sender asked: writes, logs and reports.
func (x *sending) emit(out wire.SendOutput) wire.SendOutput {
	if len(out.Write) > 0 {
		if !out.Done {
			pause(x.ctx, x.o.Turnaround-time.Since(x.heard))
		}
		if _, err := x.rw.Write(out.Write); err != nil && !out.Done {
			return x.s.Abort(fmt.Errorf("writing: %w", err))
		}
	}
	if out.Problem != nil {
		x.o.Logger.Warn("ymodem send", "problem", out.Problem.Error())
	}
	if x.idx >= 0 && x.idx < len(x.files) {
		f := x.files[x.idx]
		if out.Acked != x.acked {
			x.acked = out.Acked
			x.o.Progress(Progress{File: f.Name, Index: x.idx, Done: x.acked, Total: f.size(),
				BatchDone: x.before + x.acked, BatchTotal: x.total})
		}
		if out.FileDone {
			x.before += f.size()
			x.o.Logger.Info("ymodem sent", "file", f.Name, "bytes", f.size())
		}
	}
	return out
}

// next answers the Sender's need, or gives it what the line brings.
func (x *sending) next(out wire.SendOutput) wire.SendOutput {
	switch out.Need {
	case wire.NeedFile:
		return x.nextFile()
	case wire.NeedData:
		f := x.files[x.idx]
		n, err := io.ReadFull(x.src, x.buf[:out.NeedLen])
		if err != nil {
			return x.s.Abort(fmt.Errorf("reading the file at byte %d of %d: %w", out.Acked+int64(n), f.size(), err))
		}
		return x.s.Data(x.buf[:n], time.Now())
	}
	if len(x.pending) == 0 {
		p, err := x.line.next(x.ctx, out.Deadline)
		switch {
		case errors.Is(err, errDeadline):
			return x.s.Timeout(time.Now())
		case err != nil && x.ctx.Err() == nil: // the line failed or closed
			return x.s.Closed(err)
		case err != nil:
			return x.s.Abort(err)
		}
		x.pending, x.heard = p, time.Now()
	}
	out = x.s.Read(x.pending, time.Now())
	x.pending = x.pending[out.Consumed:]
	return out
}

func (x *sending) nextFile() wire.SendOutput {
	x.idx++
	x.acked = -1
	if x.idx == len(x.files) {
		return x.s.File(nil, time.Now())
	}
	f := x.files[x.idx]
	x.src = f.Reader
	if x.src == nil {
		x.src = bytes.NewReader(f.Data)
	}
	return x.s.File(&wire.FileInfo{Name: f.Name, Size: f.size(), ModTime: f.ModTime, Mode: fileMode}, time.Now())
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
