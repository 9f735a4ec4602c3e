package dock

import "fmt"

// MsgType is a message's frame type. The values are append-only: a type
// once given a number keeps it.
type MsgType uint8

// The messages. Bodies are JSON objects unless noted; "{}" is the empty
// body. Fields are described on the Go types named.
const (
	// MsgHello opens a session, host → device: Hello.
	MsgHello MsgType = 0x01
	// MsgHelloAck answers it, device → host: HelloAck.
	MsgHelloAck MsgType = 0x02
	// MsgChallenge asks the device to prove its key, host → device: Challenge.
	MsgChallenge MsgType = 0x03
	// MsgProof answers a challenge, device → host: Proof.
	MsgProof MsgType = 0x04
	// MsgAuthResult tells the device whether it passed, host → device: AuthResult.
	MsgAuthResult MsgType = 0x05
	// MsgClockGet asks for the device clock, host → device: {}.
	MsgClockGet MsgType = 0x06
	// MsgClock reports the device clock, device → host: Clock.
	MsgClock MsgType = 0x07
	// MsgClockSet sets the device clock, host → device: ClockSet; the
	// device answers MsgClock with its new time.
	MsgClockSet MsgType = 0x08
	// MsgStatusGet asks for the reading statistics, host → device: {}.
	MsgStatusGet MsgType = 0x09
	// MsgStatus reports them, device → host: Status.
	MsgStatus MsgType = 0x0A
	// MsgXferBegin announces a file, sender → receiver: XferBegin.
	MsgXferBegin MsgType = 0x10
	// MsgXferResume says where to start, receiver → sender: XferResume.
	MsgXferResume MsgType = 0x11
	// MsgXferData carries file bytes, sender → receiver, binary:
	//
	//	off size field
	//	0   4    xfer   u32 LE
	//	4   8    offset u64 LE, in the encoded stream
	//	12  n    bytes
	//
	// The frame's FlagZ is set when the transfer's encoding is zstd.
	MsgXferData MsgType = 0x12
	// MsgXferEnd follows the last data, sender → receiver: XferEnd.
	MsgXferEnd MsgType = 0x13
	// MsgXferDone reports the receiver's verdict, receiver → sender: XferDone.
	MsgXferDone MsgType = 0x14
	// MsgReadingsGet asks for the readings, host → device: {}; the device
	// answers with a transfer of kind "readings".
	MsgReadingsGet MsgType = 0x20
	// MsgReadingsStored tells the device the server holds its readings
	// durably, host → device: ReadingsStored.
	MsgReadingsStored MsgType = 0x21
	// MsgReadingsCleared reports the deletion, device → host: ReadingsCleared.
	MsgReadingsCleared MsgType = 0x22
	// MsgBye ends the session, either way: {}.
	MsgBye MsgType = 0x30
	// MsgError reports a failure, either way: Error.
	MsgError MsgType = 0x3F
)

var typeNames = map[MsgType]string{
	TypeAck: "ACK", MsgHello: "HELLO", MsgHelloAck: "HELLO_ACK", MsgChallenge: "CHALLENGE",
	MsgProof: "PROOF", MsgAuthResult: "AUTH_RESULT", MsgClockGet: "CLOCK_GET", MsgClock: "CLOCK",
	MsgClockSet: "CLOCK_SET", MsgStatusGet: "STATUS_GET", MsgStatus: "STATUS",
	MsgXferBegin: "XFER_BEGIN", MsgXferResume: "XFER_RESUME", MsgXferData: "XFER_DATA",
	MsgXferEnd: "XFER_END", MsgXferDone: "XFER_DONE", MsgReadingsGet: "READINGS_GET",
	MsgReadingsStored: "READINGS_STORED", MsgReadingsCleared: "READINGS_CLEARED",
	MsgBye: "BYE", MsgError: "ERROR",
}

// String returns the type's name in the protocol document, or its number.
func (t MsgType) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("0x%02X", uint8(t))
}

// Known reports whether t is a message type of this version.
func (t MsgType) Known() bool {
	_, ok := typeNames[t]
	return ok && t != TypeAck
}

// IsTransfer reports whether t belongs to a file transfer.
func (t MsgType) IsTransfer() bool { return t >= MsgXferBegin && t <= MsgXferDone }

// Message is one message as the link delivers it.
type Message struct {
	Type    MsgType
	Flags   uint8
	Payload []byte
}
