package ymodem

import (
	"errors"
	"fmt"
)

// Check is the integrity check of a transfer's blocks, chosen by the
// receiver's first byte: 'C' asks for CRC-16, NAK for XMODEM's checksum.
type Check uint8

const (
	CheckCRC16    Check = iota // two bytes, CRC-16/XMODEM, big-endian
	CheckChecksum              // one byte, the sum of the data
)

func (c Check) length() int {
	if c == CheckChecksum {
		return 1
	}
	return 2
}

// Block is one block: its number modulo 256 and its data, 128 or 1024 bytes
// including any padding.
type Block struct {
	Num  byte
	Data []byte
}

var errBlockSize = errors.New("ymodem: block data must be 128 or 1024 bytes")

// AppendFrame appends b's frame to dst: SOH or STX, the number, its
// complement, the data and the check.
func AppendFrame(dst []byte, b Block, check Check) ([]byte, error) {
	var start byte
	switch len(b.Data) {
	case BlockSize:
		start = SOH
	case BlockSize1K:
		start = STX
	default:
		return dst, errBlockSize
	}
	dst = append(dst, start, b.Num, ^b.Num)
	dst = append(dst, b.Data...)
	if check == CheckChecksum {
		return append(dst, Checksum(b.Data)), nil
	}
	c := CRC16(b.Data)
	return append(dst, byte(c>>8), byte(c)), nil
}

// DataBlock returns block num holding chunk, padded with SUB to size (128 or
// 1024) bytes.
func DataBlock(num byte, chunk []byte, size int) (Block, error) {
	if (size != BlockSize && size != BlockSize1K) || len(chunk) > size {
		return Block{}, fmt.Errorf("ymodem: %d bytes do not fit a %d-byte block", len(chunk), size)
	}
	data := make([]byte, size)
	n := copy(data, chunk)
	for i := n; i < size; i++ {
		data[i] = SUB
	}
	return Block{Num: num, Data: data}, nil
}
