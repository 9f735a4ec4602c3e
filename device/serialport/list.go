package serialport

import (
	"fmt"
	"slices"
	"strings"

	"go.bug.st/serial/enumerator"
)

// PortInfo describes a serial port of the machine. The USB fields are empty
// for a port that is not on USB, or when the system does not say.
type PortInfo struct {
	Path         string // e.g. /dev/ttyUSB0
	USB          bool   // the port is a USB device (a docked handheld's cable)
	VID, PID     string // USB vendor and product id, 4 lowercase hex digits
	SerialNumber string // the USB device's serial number
	Product      string // the USB device's product string
}

// ID returns the port's USB vendor and product id, zero when not on USB.
func (p PortInfo) ID() USBID { return USBID{VID: p.VID, PID: p.PID} }

// String writes the port as a person reads it: "/dev/ttyUSB0 (1a86:7523 USB Serial, SN 12345)".
func (p PortInfo) String() string {
	if !p.USB {
		return p.Path
	}
	s := p.Path + " (" + p.ID().String()
	if p.Product != "" {
		s += " " + p.Product
	}
	if p.SerialNumber != "" {
		s += ", SN " + p.SerialNumber
	}
	return s + ")"
}

// List returns the serial ports of the machine, sorted by path, with their
// USB identity where the system knows it. A machine with no serial port gives
// an empty list, not an error.
func List() ([]PortInfo, error) {
	ds, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("serialport: listing ports: %w", err)
	}
	ports := make([]PortInfo, 0, len(ds))
	for _, d := range ds {
		ports = append(ports, PortInfo{Path: d.Name, USB: d.IsUSB, VID: strings.ToLower(d.VID),
			PID: strings.ToLower(d.PID), SerialNumber: d.SerialNumber, Product: d.Product})
	}
	slices.SortFunc(ports, func(a, b PortInfo) int { return strings.Compare(a.Path, b.Path) })
	return ports, nil
}

// USBID is a USB vendor and product id pair, as in "1a86:7523".
type USBID struct{ VID, PID string }

// String writes the id as "vid:pid".
func (id USBID) String() string { return id.VID + ":" + id.PID }

// ParseUSBID reads "1a86:7523" (hex digits in either case).
func ParseUSBID(s string) (USBID, error) {
	vid, pid, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || !hex4(vid) || !hex4(pid) {
		return USBID{}, fmt.Errorf("serialport: USB id %q: want VID:PID, 4 hex digits each, e.g. 1a86:7523", s)
	}
	return USBID{VID: strings.ToLower(vid), PID: strings.ToLower(pid)}, nil
}

func hex4(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}
