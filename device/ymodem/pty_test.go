package ymodem

import (
	"bytes"
	"os"
	"sync"
)

// corrupter flips one byte of what passes through a line, at an offset of
// each direction (-1: none), and keeps its read deadlines working.
type corrupter struct {
	*os.File
	mu              sync.Mutex
	readAt, writeAt int64
	nr, nw          int64
	flippedR        bool
	flippedW        bool
}

func (c *corrupter) Read(p []byte) (int, error) {
	n, err := c.File.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.readAt - c.nr; i >= 0 && i < int64(n) {
		p[i] ^= 0x10
		c.flippedR = true
	}
	c.nr += int64(n)
	return n, err
}

func (c *corrupter) Write(p []byte) (int, error) {
	c.mu.Lock()
	if i := c.writeAt - c.nw; i >= 0 && i < int64(len(p)) {
		p = bytes.Clone(p)
		p[i] ^= 0x10
		c.flippedW = true
	}
	c.nw += int64(len(p))
	c.mu.Unlock()
	return c.File.Write(p)
}

func (c *corrupter) flipped() (read, write bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flippedR, c.flippedW
}
