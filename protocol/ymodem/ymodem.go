package ymodem

import (
	"errors"
	"fmt"
)

// The bytes of the protocol.
const (
	SOH     byte = 0x01 // starts a 128-byte block
	STX     byte = 0x02 // starts a 1024-byte block
	EOT     byte = 0x04 // ends a file
	ACK     byte = 0x06 // block or EOT received
	NAK     byte = 0x15 // block bad or missing; also starts a checksum transfer
	CAN     byte = 0x18 // two in a row abort the session
	SUB     byte = 0x1A // pads the last block of a file
	WantCRC byte = 'C'  // starts a transfer with CRC-16, and asks for each header
)

// Block and frame sizes.
const (
	BlockSize    = 128          // data bytes in an SOH block
	BlockSize1K  = 1024         // data bytes in an STX block
	MaxFrameSize = 3 + 1024 + 2 // an STX frame with its CRC
	cancelLength = 8            // CANs sent to abort: more than two, as line noise may eat some
)

// DefaultRetries is how many times a block is asked for or sent again before
// a session gives up, as the spec and lrzsz have it.
const DefaultRetries = 10

// ErrCanceled is returned (inside an *Error) when the peer aborts the session
// with CAN CAN.
var ErrCanceled = errors.New("cancelled by peer")

// Error is a failed transfer: which file, which block and why. Err is the
// cause: ErrCanceled, a context's error, or a description.
type Error struct {
	File  string // the file being transferred, "" before the first header
	Block int    // the data block (the first is 1), 0 for the header, -1 when not at a block
	Op    string // what was under way when Block is -1, e.g. "end of file"
	Err   error
}

func (e *Error) Error() string {
	s := "ymodem: "
	if e.File != "" {
		s += fmt.Sprintf("%q: ", e.File)
	}
	switch {
	case e.Block > 0:
		s += fmt.Sprintf("block %d: ", e.Block)
	case e.Block == 0:
		s += "header: "
	case e.Op != "":
		s += e.Op + ": "
	}
	return s + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// CancelBytes returns what a side sends to abort a session: CAN repeated.
func CancelBytes() []byte {
	b := make([]byte, cancelLength)
	for i := range b {
		b[i] = CAN
	}
	return b
}
