// Package sync is the server side of the tablets' delta protocol
// (docs/SYNC.md, wire format in protocol/syncwire): pull of a technician's
// work orders by an opaque cursor over their change log, push of mutations
// applied exactly once with a result each, the attachment (blob) store with
// resumable uploads, clock skew per tablet, and the compaction of removals
// past the horizon. Readers' networked handhelds use the same protocol: a
// reader's pull is their route for a cycle by buckets (PullRoute), and
// their readings are pushed as mutations of kind reading, imported by the
// one readings import behind the Readings interface (device.Network).
//
// The business rules are not here: receipts are decided by package orders
// (Applier), the change log is written by the store in the transaction of
// each change (store.ChangeLog). sync decides only what a technician's tablet
// may see and in what shape, and keeps every decision exactly once.
package sync
