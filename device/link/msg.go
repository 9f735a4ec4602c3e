package link

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"meter-sync/protocol/dock"
)

// wait calls cond under the lock until it reports done, the Conn stops
// (cond sees c.err and decides) or ctx ends, which is checked first.
func (c *Conn) wait(ctx context.Context, cond func() (done bool, err error)) error {
	for {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		c.mu.Lock()
		done, err := cond()
		ch := c.changed
		c.mu.Unlock()
		if done || err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// SetCaps records the capabilities in force (dock.Negotiate): without
// dock.CapZstd files are sent unencoded. Before it is called zstd is
// allowed.
func (c *Conn) SetCaps(caps []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.zstd = slices.Contains(caps, dock.CapZstd)
}

// SetLimits applies the payload size and window agreed in HELLO and
// HELLO_ACK (see dock.Link.SetLimits).
func (c *Conn) SetLimits(maxPayload, window int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.l.SetLimits(maxPayload, window)
}

// Config returns the link settings in force.
func (c *Conn) Config() dock.LinkConfig {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.l.Config()
}

// Send queues a message: body is a dock body of type typ (encoded by its
// Encode), a []byte payload, or nil for {}. It waits while the link's queue
// is full, and returns once the message is queued, not delivered: Flush
// waits for that.
func (c *Conn) Send(ctx context.Context, typ dock.MsgType, body any) error {
	p, err := dock.EncodeBody(typ, body)
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	return c.sendRaw(ctx, typ, 0, p)
}

func (c *Conn) sendRaw(ctx context.Context, typ dock.MsgType, flags uint8, p []byte) error {
	err := c.wait(ctx, func() (bool, error) {
		if c.err != nil {
			return false, c.err
		}
		err := c.l.Send(typ, flags, p)
		if errors.Is(err, dock.ErrQueueFull) {
			return false, nil
		}
		return true, err
	})
	if err == nil {
		c.wake()
	}
	return err
}

// Flush waits until every message sent has been acknowledged.
func (c *Conn) Flush(ctx context.Context) error {
	return c.wait(ctx, func() (bool, error) {
		if c.err != nil {
			return false, c.err
		}
		return c.l.Idle(), nil
	})
}

// Recv returns the next message of a type this version knows, skipping
// the others. An XFER_BEGIN is returned but left in place, for RecvFile to
// take: a device that waits for the host's next request with Recv calls
// RecvFile when it sees one. Other transfer messages outside a transfer
// are skipped. Messages received before the line died are still returned.
func (c *Conn) Recv(ctx context.Context) (dock.Message, error) {
	var m dock.Message
	err := c.wait(ctx, func() (bool, error) {
		for len(c.inbox) > 0 {
			m = c.inbox[0]
			switch {
			case m.Type == dock.MsgXferBegin:
				return true, nil
			case !m.Type.Known() || m.Type.IsTransfer():
				c.log.Debug("message skipped", "type", m.Type, "bytes", len(m.Payload))
				c.inbox = c.inbox[1:]
				continue
			}
			c.inbox = c.inbox[1:]
			return true, nil
		}
		return false, c.err
	})
	return m, err
}

// next returns the next message of a known type, for a transfer.
func (c *Conn) next(ctx context.Context) (dock.Message, error) {
	var m dock.Message
	err := c.wait(ctx, func() (bool, error) {
		for len(c.inbox) > 0 {
			m, c.inbox = c.inbox[0], c.inbox[1:]
			if m.Type.Known() {
				return true, nil
			}
			c.log.Debug("message skipped", "type", m.Type, "bytes", len(m.Payload))
		}
		return false, c.err
	})
	return m, err
}

// Expect receives the next message (as Recv does) and decodes it as a T,
// which must be typ's body. An ERROR from the peer is returned as an error
// (a dock.Error), any other type as an unexpected message.
func Expect[T dock.Body](ctx context.Context, c *Conn, typ dock.MsgType) (T, error) {
	var zero T
	m, err := c.Recv(ctx)
	if err != nil {
		return zero, err
	}
	return decodeAs[T](m, typ)
}

// decodeAs decodes m as typ's body T; an ERROR becomes the error.
func decodeAs[T dock.Body](m dock.Message, typ dock.MsgType) (T, error) {
	var zero T
	if m.Type == dock.MsgError && typ != dock.MsgError {
		e, err := dock.DecodeError(m.Payload)
		if err != nil {
			return zero, fmt.Errorf("link: %w", err)
		}
		return zero, e
	}
	if m.Type != typ {
		return zero, fmt.Errorf("link: %s received, %s expected", m.Type, typ)
	}
	b, err := dock.DecodeBody(m)
	if err != nil {
		return zero, fmt.Errorf("link: %w", err)
	}
	t, ok := b.(T)
	if !ok {
		return zero, fmt.Errorf("link: %s decodes as %T, not %T", typ, b, zero)
	}
	return t, nil
}
