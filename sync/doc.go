// Package sync is the server side of the tablets' delta protocol: change log,
// cursors, per-user scope, idempotent push, conflict rules and the attachment
// store. It arrives with the tablet-sync work.
package sync
