package ymodem

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FileInfo is what a header block says of a file.
type FileInfo struct {
	// Name is the bytes before the header's NUL, in whatever encoding the
	// sender used (lrzsz sends the file system's bytes, usually UTF-8). It may
	// hold '/' and "..": never use it as a path unchecked.
	Name string
	// Size is the file's length in bytes, -1 when the header does not say.
	Size int64
	// ModTime is the modification time, zero when unknown (sent as 0).
	ModTime time.Time
	// Mode is the Unix file mode, file type bits included (lrzsz sends
	// 0100644 for a plain file), 0 when not sent.
	Mode uint32
}

// Header errors.
var (
	ErrNameTooLong = errors.New("ymodem: file name and attributes do not fit a 1024-byte header")
	errEmptyName   = errors.New("ymodem: header: empty file name")
	errNameNUL     = errors.New("ymodem: header: file name holds a NUL")
	errNoSize      = errors.New("ymodem: header: a file's size must be known to send it")
	errUnterm      = errors.New("ymodem: header: file name not terminated")
)

// HeaderBlock returns block 0 announcing fi: 128 bytes when the name and
// attributes fit, else 1024, NUL padded. Size must be known; the length,
// time and mode are always all sent, as lrzsz's rb reads the three at once.
func HeaderBlock(fi FileInfo) (Block, error) {
	switch {
	case fi.Name == "":
		return Block{}, errEmptyName
	case strings.IndexByte(fi.Name, 0) >= 0:
		return Block{}, errNameNUL
	case fi.Size < 0:
		return Block{}, errNoSize
	}
	var mtime int64
	if !fi.ModTime.IsZero() && fi.ModTime.Unix() > 0 {
		mtime = fi.ModTime.Unix()
	}
	attrs := fmt.Sprintf("%d %o %o", fi.Size, mtime, fi.Mode)
	n := len(fi.Name) + 1 + len(attrs) + 1
	size := BlockSize
	switch {
	case n > BlockSize1K:
		return Block{}, ErrNameTooLong
	case n > BlockSize:
		size = BlockSize1K
	}
	data := make([]byte, size)
	copy(data[copy(data, fi.Name)+1:], attrs)
	return Block{Num: 0, Data: data}, nil
}

// EndOfBatch returns the empty block 0 that ends a batch.
func EndOfBatch() Block {
	return Block{Num: 0, Data: make([]byte, BlockSize)}
}

// ParseHeader reads the data of a block 0. end reports the empty header that
// ends a batch. It is lenient, as senders differ: the name ends at the first
// NUL, or SUB if there is no NUL; the attributes at the next NUL or SUB; the length may be decimal or 0x-prefixed hex, and is
// unknown (-1) when missing or unreadable; a missing or unreadable time or
// mode is zero; further fields (lrzsz's serial number and files and bytes
// left) and the bytes after the NUL (lrzsz's CP/M record count) are ignored.
func ParseHeader(data []byte) (fi FileInfo, end bool, err error) {
	if len(data) == 0 || data[0] == 0 {
		return FileInfo{}, true, nil
	}
	name, rest, ok := bytes.Cut(data, []byte{0})
	if !ok { // some senders pad with SUB
		if name, rest, ok = bytes.Cut(data, []byte{SUB}); !ok {
			return FileInfo{}, false, errUnterm
		}
		if len(name) == 0 {
			return FileInfo{}, false, errEmptyName
		}
	}
	fi = FileInfo{Name: string(name), Size: -1}
	if i := bytes.IndexAny(rest, "\x00\x1a"); i >= 0 { // some senders pad with SUB
		rest = rest[:i]
	}
	fields := strings.Fields(string(rest))
	if len(fields) == 0 {
		return fi, false, nil
	}
	size, ok := parseSize(fields[0])
	if !ok {
		return fi, false, nil
	}
	fi.Size = size
	if len(fields) > 1 {
		if t, err := strconv.ParseInt(fields[1], 8, 64); err == nil && t > 0 {
			fi.ModTime = time.Unix(t, 0).UTC()
		}
	}
	if len(fields) > 2 {
		if m, err := strconv.ParseUint(fields[2], 8, 32); err == nil {
			fi.Mode = uint32(m)
		}
	}
	return fi, false, nil
}

// parseSize reads a decimal length, or a hex one with 0x as some embedded
// senders write it.
func parseSize(s string) (int64, bool) {
	base := 10
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s, base = s[2:], 16
	}
	n, err := strconv.ParseInt(s, base, 64)
	if err != nil || n < 0 || s[0] == '+' {
		return 0, false
	}
	return n, true
}
