// Package dock is the handheld docking protocol: how the server (the host)
// and a meter reader's handheld (抄表机, the device) talk over a serial or
// USB line at 115,200 baud. The host authenticates the handheld, corrects
// its clock, sends the reader's route and re-read files and takes back the
// readings. docs/PROTOCOL.md describes it for device vendors.
//
// The package is pure: it does no I/O, starts no goroutines, keeps no clock
// (time is passed in) and never logs. device/link drives it over a line.
//
// # Layers
//
//   - Frames (frame.go): magic, type, flags, sequence number, length and a
//     header CRC, payload, CRC-32. A Decoder finds them in a noisy byte
//     stream and resynchronises after garbage.
//   - Link (link.go): reliable, ordered delivery of messages over frames,
//     the same at both ends: a sliding window with selective repeat,
//     cumulative and selective ACK frames, fast retransmission and a
//     timeout derived from the baud rate.
//   - Messages (msgtype.go and the *_msg.go files): one frame each, JSON
//     bodies but for XFER_DATA, typed here with their checks.
//   - Transfers (transfer.go): one file each way at a time, zstd-encoded
//     when that makes it smaller, resumable from the receiver's prefix.
//
// # Flow
//
//	host                                   device
//	HELLO {versions, caps, limits}    →
//	                                  ←    HELLO_ACK {version, device_id, caps, clock}
//	   (no common version: ERROR "version", BYE, close)
//	CHALLENGE {nonce}                 →
//	                                  ←    PROOF {device_id, HMAC-SHA256(key, nonce)}
//	AUTH_RESULT {ok}                  →    (ok false: nothing more)
//	CLOCK_GET                         →
//	                                  ←    CLOCK {clock_ms}
//	CLOCK_SET {clock_ms}              →    (when off by more than 2 s)
//	                                  ←    CLOCK {clock_ms}
//	STATUS_GET                        →
//	                                  ←    STATUS {route_households, read, ...}
//	XFER_BEGIN {kind:"route", ...}    →
//	                                  ←    XFER_RESUME {offset}
//	XFER_DATA ... XFER_END            →
//	                                  ←    XFER_DONE {ok, count}
//	   (the same for kind "rereads")
//	READINGS_GET                      →
//	                                  ←    XFER_BEGIN {kind:"readings", ...}
//	XFER_RESUME {offset}              →
//	                                  ←    XFER_DATA ... XFER_END
//	XFER_DONE {ok, count}             →
//	   (the host stores the readings durably, then:)
//	READINGS_STORED {id, count}       →
//	                                  ←    READINGS_CLEARED {id, deleted}
//	BYE                               →
//	                                  ←    BYE
//
// Either side may send ERROR and close. A side that receives a message type
// it does not know skips it (the link has acknowledged it already).
//
// # Version history
//
//	1  2025: first version: frames with header CRC, selective-repeat link,
//	   the messages 0x01-0x3F above, zstd and resume capabilities.
package dock
