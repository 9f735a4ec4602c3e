// Package protocol holds the wire formats only: the handheld device
// protocol's frames and messages, YMODEM blocks, and the delta-sync JSON
// types, with the session state machines of both ends as pure functions of
// (state, input) → (state, output). It imports no storage, no serial port, no
// HTTP and keeps no clock of its own (DESIGN §3); deps_test.go at the module
// root keeps it so.
//
// The device protocol and YMODEM arrive with the handheld-docking work, the
// sync types with the tablet-sync work.
package protocol
