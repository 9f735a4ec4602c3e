// Package device is the host side of handheld docking: serial ports (open,
// enumerate USB VID/PID, watch for docking) and a docking session's steps of
// DOMAIN.md §2: clock correction, route export, readings import and re-reads.
// It arrives with the handheld-docking work.
package device
