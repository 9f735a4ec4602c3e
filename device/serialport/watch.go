package serialport

import (
	"context"
	"slices"
	"time"
)

// Watch lists the ports every interval and sends each port that appears on
// the returned channel: a handheld docked, a new /dev/ttyUSBn. The ports
// present at the first listing count as appearing, so a handheld docked
// before the watch began is served too. A port is sent once per appearance:
// again only after a listing without it. With match ids given, only USB ports
// with one of those ids are sent.
//
// list is normally List. A listing that fails is skipped: the ports seen
// stay as they were, so a passing error does not report every port again.
// The channel is closed when ctx ends.
func Watch(ctx context.Context, interval time.Duration, list func() ([]PortInfo, error), match ...USBID) <-chan PortInfo {
	ch := make(chan PortInfo)
	go func() {
		defer close(ch)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		seen := map[PortInfo]bool{}
		for {
			if !watchOnce(ctx, ch, list, match, seen) {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return ch
}

// watchOnce lists the ports, sends the ones not in seen and makes seen the
// listing. It reports false when ctx ended.
func watchOnce(ctx context.Context, ch chan<- PortInfo, list func() ([]PortInfo, error), match []USBID, seen map[PortInfo]bool) bool {
	ports, err := list()
	if err != nil {
		return ctx.Err() == nil
	}
	now := map[PortInfo]bool{}
	for _, p := range ports {
		if !matches(p, match) {
			continue
		}
		now[p] = true
		if seen[p] {
			continue
		}
		select {
		case ch <- p:
		case <-ctx.Done():
			return false
		}
	}
	clear(seen)
	for p := range now {
		seen[p] = true
	}
	return true
}

// matches reports whether p passes the USB id filter (none: every port).
func matches(p PortInfo, ids []USBID) bool {
	return len(ids) == 0 || (p.USB && slices.Contains(ids, p.ID()))
}
