// Package ymodem is the YMODEM batch file transfer protocol (Forsberg's
// "XMODEM/YMODEM Protocol Reference", 10-27-87) as lrzsz's sb and rb speak it:
// the wire format of blocks and of the batch header, an incremental decoder
// for the receiving direction, and the sender and receiver as state machines.
//
// The package is pure: it does no I/O, starts no goroutines, keeps no clock
// (every step is given the time, and answers with the deadline by which it
// wants to hear again) and never logs. device/ymodem drives it over a serial
// line.
//
// # Frames
//
// Every block is one frame:
//
//	SOH num ^num data[128]  crc-hi crc-lo    (133 bytes)
//	STX num ^num data[1024] crc-hi crc-lo    (1029 bytes)
//
// num counts blocks modulo 256 (the header is 0, the first data block 1, and
// 255 is followed by 0), ^num is 255-num, and the CRC is CRC-16/XMODEM
// (polynomial 0x1021, initial value 0) of the data alone, big-endian. When the
// receiver starts with NAK instead of 'C' the two CRC bytes are replaced by
// one byte, the sum of the data modulo 256 (XMODEM's checksum); a YMODEM
// receiver always asks for the CRC and this package's Receiver does.
//
// The last data block of a file is padded with SUB (0x1A, CP/M's end of
// file); the header's length field says where the file really ends.
//
// Single bytes: EOT (0x04) ends a file, ACK (0x06) and NAK (0x15) answer a
// block, 'C' (0x43) asks for a transfer with CRC-16, two CAN (0x18) in a row
// abort the session.
//
// # Header block
//
// Block 0 carries one file's name and attributes, NUL padded:
//
//	name NUL length [SP mtime [SP mode [SP serial ...]]] NUL ...
//
// length is decimal, mtime the modification time in seconds since 1970 UTC
// in octal (0 = unknown), mode the Unix file mode in octal. lrzsz adds a
// serial number and two ZMODEM fields (files and bytes left) and writes a
// CP/M record count into bytes 126-127; all of these are read past. A block 0
// whose name is empty (a NUL first byte) ends the batch.
//
// # Session
//
//	sender                            receiver
//	                                  C
//	SOH 00 FF "route.csv" NUL "1234 ..." NUL... CRC CRC
//	                                  ACK C
//	STX 01 FE data[1024] CRC CRC
//	                                  ACK
//	SOH 02 FD data[128] CRC CRC       (lrzsz sends 128-byte blocks once
//	                                  ACK    no more than 896 bytes remain)
//	SOH 03 FC data[82] SUB[46] CRC CRC
//	                                  ACK
//	EOT
//	                                  NAK   (the spec's confirmation;
//	EOT                                      lrzsz's rb ACKs the first)
//	                                  ACK C
//	   ... the next file's header, or:
//	SOH 00 FF NUL[128] CRC CRC
//	                                  ACK
//
// A bad block is answered with NAK (with 'C' while no data block has been
// received yet) and sent again; a block received twice, because its ACK was
// lost, is acknowledged again and kept once. Ten failures in a row end the
// session, which either side may also abort with CAN CAN.
//
// Single-byte answers carry no check, so both machines guard against taking
// noise or a stale byte for one, as lrzsz does where it can:
//
//   - The Receiver waits for the line to be quiet (100 ms) after a bad block
//     or garbage before it asks again, so the rest of a damaged frame is not
//     read as a new one; and after a first EOT before it believes it, so an
//     EOT byte inside a damaged frame does not end the file.
//   - The Sender drops whatever arrived together with the byte that has it
//     send something new: it was sent before the receiver could see the new
//     frame (an ACK doubled, 'C's sent while nobody listened), and taken for
//     the answer to it would put the two sides out of step.
//   - The Sender waits much longer than the Receiver (30 s against 10 s)
//     before sending a block again unasked: the receiver drives
//     retransmission, and a block sent again by both at once arrives twice.
package ymodem
