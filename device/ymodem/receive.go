package ymodem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	wire "meter-sync/protocol/ymodem"
)

// Receive receives one YMODEM batch over rw. It returns the files when the
// sender ends the batch; on failure, the files completed before it and a
// *wire.Error saying which file and block, and why. Cancelling ctx aborts
// the transfer and tells the sender.
//
// Receive asks for the first file every 3 s for up to
// opts.Receive.StartTimeout (60 s).
func Receive(ctx context.Context, rw io.ReadWriter, opts *Options) ([]ReceivedFile, error) {
	x := &receiving{ctx: ctx, rw: rw, o: opts.withDefaults()}
	x.line = startLine(rw)
	defer x.line.stop()
	defer guardWrites(ctx, rw)()

	x.r = wire.NewReceiver(x.o.Receive)
	out := x.r.Start(time.Now())
	for {
		if out = x.emit(out); out.Done {
			return x.files[:x.complete], out.Err
		}
		out = x.next(out)
	}
}

// receiving is one Receive under way.
type receiving struct {
	ctx      context.Context
	rw       io.ReadWriter
	o        Options
	line     *line
	r        *wire.Receiver
	pending  []byte // read from the line, not yet taken by the Receiver
	files    []ReceivedFile
	complete int   // files received whole
	before   int64 // bytes of the complete files
}

// emit carries out what the Receiver asked: writes, keeps the data, logs
// and reports.
func (x *receiving) emit(out wire.RecvOutput) wire.RecvOutput {
	if len(out.Write) > 0 {
		if _, err := x.rw.Write(out.Write); err != nil && !out.Done {
			return x.r.Abort(fmt.Errorf("writing: %w", err))
		}
	}
	if out.Problem != nil {
		x.o.Logger.Warn("ymodem receive", "problem", out.Problem.Error())
	}
	if out.File != nil {
		x.files = append(x.files, newReceived(out.File))
	}
	if len(out.Data) > 0 {
		f := &x.files[len(x.files)-1]
		f.Data = append(f.Data, out.Data...)
		x.o.Progress(Progress{File: f.Name, Index: len(x.files) - 1, Done: int64(len(f.Data)), Total: f.Size,
			BatchDone: x.before + int64(len(f.Data)), BatchTotal: -1})
	}
	if out.FileEnd {
		f := x.files[len(x.files)-1]
		x.complete = len(x.files)
		x.before += int64(len(f.Data))
		x.o.Logger.Info("ymodem received", "file", f.Name, "bytes", len(f.Data))
	}
	return out
}

// next gives the Receiver what the line brings, or tells it time is up.
func (x *receiving) next(out wire.RecvOutput) wire.RecvOutput {
	if !out.More && len(x.pending) == 0 {
		p, err := x.line.next(x.ctx, out.Deadline)
		switch {
		case errors.Is(err, errDeadline):
			return x.r.Timeout(time.Now())
		case err != nil:
			return x.r.Abort(err)
		}
		x.pending = p
	}
	out = x.r.Read(x.pending, time.Now())
	x.pending = x.pending[out.Consumed:]
	return out
}

func newReceived(fi *wire.FileInfo) ReceivedFile {
	f := ReceivedFile{Name: fi.Name, Size: fi.Size, ModTime: fi.ModTime, Mode: fi.Mode}
	if fi.Size >= 0 {
		f.Data = make([]byte, 0, fi.Size)
	}
	return f
}
