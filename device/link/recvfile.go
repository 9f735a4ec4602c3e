package link

import (
	"context"
	"errors"
	"fmt"

	"meter-sync/protocol/dock"
)

// RecvFile receives one file: it waits for XFER_BEGIN, answers XFER_RESUME
// with the offset partials holds for that stream, receives the rest while
// saving the prefix through partials (every 16 KiB and when cut off),
// checks size and SHA-256, calls apply with the content, and answers
// XFER_DONE with apply's count, or with its error. The partial is dropped
// once the file is applied, or found bad. progress, if not nil, is called
// with the bytes of the encoded stream held and its size.
func (c *Conn) RecvFile(ctx context.Context, partials Partials,
	apply func(begin dock.XferBegin, raw []byte) (count int, err error),
	progress func(done, total int64)) (dock.XferBegin, error) {
	if progress == nil {
		progress = func(int64, int64) {}
	}
	m, err := c.next(ctx)
	if err != nil {
		return dock.XferBegin{}, err
	}
	b, err := decodeAs[dock.XferBegin](m, dock.MsgXferBegin)
	if err != nil {
		c.refuse(ctx, dock.Error{Code: dock.CodeProtocol, Message: truncateText(err.Error())})
		return b, err
	}
	r := &receiving{c: c, parts: partials, key: dock.PartialKey(b), progress: progress}
	if err := r.start(ctx, b); err != nil {
		return b, err
	}
	c.log.Info("receiving file", "name", b.Name, "kind", b.Kind, "raw_size", b.RawSize,
		"encoding", b.Encoding, "enc_size", b.EncSize, "offset", r.saved)
	raw, err := r.receive(ctx)
	if err != nil {
		return b, err
	}
	return b, r.finish(ctx, raw, apply)
}

// refuse tells the peer why, as ERROR or XFER_DONE; the line may be gone.
func (c *Conn) refuse(ctx context.Context, body dock.Body) {
	if err := c.Send(ctx, body.MsgType(), body); err != nil {
		c.log.Debug("refusal not sent", "err", err)
	}
}

// receiving is one RecvFile under way.
type receiving struct {
	c        *Conn
	tr       *dock.TransferReceiver
	parts    Partials
	key      string
	saved    int64 // bytes of the stream partials holds
	progress func(done, total int64)
}

// start takes the partial prefix and answers XFER_RESUME, or refuses.
func (r *receiving) start(ctx context.Context, b dock.XferBegin) error {
	prefix, err := r.parts.Partial(r.key)
	if err != nil {
		r.c.log.Warn("partial file unreadable; starting afresh", "id", b.ID, "err", err)
		prefix = nil
	}
	r.tr, err = dock.NewTransferReceiver(b, prefix, dock.ReceiveConfig{MaxFileSize: r.c.opt.MaxFileSize})
	if err != nil {
		r.c.refuse(ctx, dock.XferDone{Xfer: b.Xfer, Error: truncateText(err.Error())})
		return fmt.Errorf("link: %w", err)
	}
	res := r.tr.Resume()
	r.saved = res.Offset
	r.c.mu.Lock()
	r.c.stats.ResumedOffset = res.Offset
	r.c.mu.Unlock()
	return r.c.Send(ctx, dock.MsgXferResume, res)
}

// receive takes XFER_DATA until XFER_END and returns the checked content.
// Cut off, it saves what it holds.
func (r *receiving) receive(ctx context.Context) (raw []byte, err error) {
	defer func() {
		if err != nil {
			r.save()
		}
	}()
	for {
		m, err := r.c.next(ctx)
		if err != nil {
			return nil, err
		}
		switch m.Type {
		case dock.MsgXferData:
			if err := r.data(ctx, m); err != nil {
				return nil, err
			}
		case dock.MsgXferEnd:
			return r.end(ctx, m)
		default:
			_, err := decodeAs[dock.XferEnd](m, dock.MsgXferEnd) // ERROR, or out of place
			return nil, err
		}
	}
}

func (r *receiving) data(ctx context.Context, m dock.Message) error {
	d, err := dock.DecodeXferData(m.Payload)
	if err == nil {
		err = r.tr.Data(d, m.Flags)
	}
	if err != nil {
		r.bad(ctx, err)
		return fmt.Errorf("link: %w", err)
	}
	r.c.mu.Lock()
	r.c.stats.XferReceived += int64(len(d.Data))
	r.c.mu.Unlock()
	done, total := r.tr.Progress()
	if done-r.saved >= persistEvery {
		r.save()
	}
	r.progress(done, total)
	return nil
}

// end checks the whole stream; a bad one is refused and forgotten.
func (r *receiving) end(ctx context.Context, m dock.Message) ([]byte, error) {
	e, err := decodeAs[dock.XferEnd](m, dock.MsgXferEnd)
	if err != nil {
		return nil, err
	}
	raw, err := r.tr.End(e)
	if err != nil {
		r.bad(ctx, err)
		return nil, fmt.Errorf("link: %w", err)
	}
	return raw, nil
}

// bad refuses the transfer and drops its partial, which cannot be trusted.
func (r *receiving) bad(ctx context.Context, err error) {
	r.c.refuse(ctx, dock.XferDone{Xfer: r.tr.Begin().Xfer, Error: truncateText(err.Error())})
	if derr := r.parts.DropPartial(r.key); derr != nil {
		r.c.log.Warn("partial file not dropped", "err", derr)
	}
	r.saved = -1 // nothing more to save
}

// save writes the bytes received since the last save. A failure only costs
// a resume, so it is logged, not returned.
func (r *receiving) save() {
	p := r.tr.Partial()
	if r.saved < 0 || int64(len(p)) <= r.saved {
		return
	}
	if err := r.parts.PutPartial(r.key, r.saved, p[r.saved:]); err != nil {
		r.c.log.Warn("partial file not saved", "id", r.tr.Begin().ID, "err", err)
		return
	}
	r.saved = int64(len(p))
}

// finish applies the content and answers XFER_DONE.
func (r *receiving) finish(ctx context.Context, raw []byte, apply func(dock.XferBegin, []byte) (int, error)) error {
	b := r.tr.Begin()
	count, aerr := apply(b, raw)
	done := dock.XferDone{Xfer: b.Xfer, OK: aerr == nil, Count: int64(count)}
	if aerr != nil {
		r.save() // the stream is good: the next attempt need not send it again
		done.Error, done.Count = truncateText(aerr.Error()), 0
	} else if err := r.parts.DropPartial(r.key); err != nil {
		r.c.log.Warn("partial file not dropped", "err", err)
	}
	r.progress(b.EncSize, b.EncSize)
	err := r.c.Send(ctx, dock.MsgXferDone, done)
	c := r.c
	c.log.Info("file received", "name", b.Name, "ok", done.OK, "count", done.Count, "stats", c.Stats().Link)
	return errors.Join(aerr, err)
}

// truncateText keeps a message within the protocol's 1024 bytes.
func truncateText(s string) string {
	if len(s) > 1000 {
		return s[:1000] + "..."
	}
	return s
}
