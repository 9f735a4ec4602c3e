package link

import (
	"context"
	"fmt"

	"meter-sync/protocol/dock"
)

// OutFile is a file for SendFile.
type OutFile struct {
	Kind string // dock.KindRoute, dock.KindRereads, dock.KindReadings
	Name string
	Data []byte
	Meta map[string]string
}

// persistEvery is how many bytes RecvFile receives between two writes of
// the partial stream.
const persistEvery = 16 << 10

// SendFile sends one file: XFER_BEGIN, then from the offset the receiver's
// XFER_RESUME names, XFER_DATA keeping the window full, XFER_END; it
// returns the receiver's XFER_DONE. A refusal (ok false) is returned with
// an error. progress, if not nil, is called with the bytes of the encoded
// stream the receiver holds and the stream's size.
func (c *Conn) SendFile(ctx context.Context, f OutFile, progress func(done, total int64)) (dock.XferDone, error) {
	if progress == nil {
		progress = func(int64, int64) {}
	}
	c.mu.Lock()
	c.xfer++
	out := dock.OutFile{Xfer: c.xfer, Kind: f.Kind, Name: f.Name, Meta: f.Meta, Data: f.Data}
	cfg := dock.SendConfig{MaxPayload: c.l.Config().MaxPayload, Zstd: c.zstd}
	c.mu.Unlock()
	ts, err := dock.NewTransferSender(out, cfg)
	if err != nil {
		return dock.XferDone{}, fmt.Errorf("link: %w", err)
	}
	b := ts.Begin()
	if err := c.Send(ctx, dock.MsgXferBegin, b); err != nil {
		return dock.XferDone{}, err
	}
	if done, err := c.awaitResume(ctx, ts); done != nil || err != nil {
		return derefDone(done), err
	}
	c.log.Info("sending file", "name", b.Name, "kind", b.Kind, "raw_size", b.RawSize,
		"encoding", b.Encoding, "enc_size", b.EncSize, "offset", c.Stats().ResumedOffset)
	if done, err := c.stream(ctx, ts, progress); done != nil || err != nil {
		return derefDone(done), err
	}
	if err := c.Send(ctx, dock.MsgXferEnd, ts.End()); err != nil {
		return dock.XferDone{}, err
	}
	m, err := c.next(ctx)
	if err != nil {
		return dock.XferDone{}, err
	}
	d, err := decodeAs[dock.XferDone](m, dock.MsgXferDone)
	if err != nil {
		return d, err
	}
	if err := ts.Done(d); err != nil {
		return d, fmt.Errorf("link: %w", err)
	}
	progress(b.EncSize, b.EncSize)
	c.log.Info("file sent", "name", b.Name, "count", d.Count, "stats", c.Stats().Link)
	return d, nil
}

func derefDone(d *dock.XferDone) dock.XferDone {
	if d == nil {
		return dock.XferDone{}
	}
	return *d
}

// awaitResume takes the receiver's XFER_RESUME, or its refusal.
func (c *Conn) awaitResume(ctx context.Context, ts *dock.TransferSender) (*dock.XferDone, error) {
	m, err := c.next(ctx)
	if err != nil {
		return nil, err
	}
	if m.Type == dock.MsgXferDone {
		return c.early(ts, m)
	}
	r, err := decodeAs[dock.XferResume](m, dock.MsgXferResume)
	if err != nil {
		return nil, err
	}
	if err := ts.Resume(r); err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	c.mu.Lock()
	c.stats.ResumedOffset = r.Offset
	c.mu.Unlock()
	return nil, nil
}

// early handles a message that came while sending: XFER_DONE (a refusal),
// ERROR, or anything else, which is out of place.
func (c *Conn) early(ts *dock.TransferSender, m dock.Message) (*dock.XferDone, error) {
	d, err := decodeAs[dock.XferDone](m, dock.MsgXferDone)
	if err != nil {
		return nil, err
	}
	if err := ts.Done(d); err != nil {
		return &d, fmt.Errorf("link: %w", err)
	}
	return &d, fmt.Errorf("link: transfer %d: XFER_DONE before XFER_END", d.Xfer)
}

// stream queues the XFER_DATA, at most a window ahead of the acks, and
// reports progress as acks come, until every byte is acknowledged: a file
// smaller than a window is queued at once, and its progress is its acks.
// A message from the receiver meanwhile (a refusal, an ERROR) ends it.
func (c *Conn) stream(ctx context.Context, ts *dock.TransferSender, progress func(done, total int64)) (*dock.XferDone, error) {
	var last int64 = -1
	for {
		var (
			m       dock.Message
			got     bool
			finish  bool
			done, n int64
		)
		err := c.wait(ctx, func() (bool, error) {
			if c.err != nil {
				return false, c.err
			}
			c.fill(ts)
			done, n = ts.Acked(c.l.AckedSeq())
			finish = ts.Finished()
			if len(c.inbox) > 0 {
				m, c.inbox, got = c.inbox[0], c.inbox[1:], true
			}
			return got || done != last || (finish && done == n), nil
		})
		if err != nil {
			return nil, err
		}
		c.wake()
		if done != last {
			progress(done, n)
			last = done
		}
		if got && m.Type.Known() {
			return c.early(ts, m)
		}
		if finish && done == n {
			return nil, nil
		}
	}
}

// fill queues data while fewer than a window of frames wait: the link
// sends them at once, and data queued no further than that is all that is
// sent twice when a cut-off transfer resumes. c.mu is held.
func (c *Conn) fill(ts *dock.TransferSender) {
	limit := c.l.Config().Window
	for c.l.Queued() < limit {
		d, ok := ts.Next()
		if !ok {
			return
		}
		c.wake()
		p, err := d.Encode()
		if err == nil {
			err = c.l.Send(dock.MsgXferData, ts.Flags(), p)
		}
		if err != nil {
			return // the queue is full, or the link failed: the caller sees it
		}
		ts.Sent(c.l.NextSeq() - 1)
		c.stats.XferSent += int64(len(d.Data))
	}
}
