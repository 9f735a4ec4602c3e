// Package client is the tablet side of the delta sync (docs/SYNC.md, wire
// format in protocol/syncwire), written so that a real tablet app can copy
// it: it needs only protocol/syncwire, net/http and compression.
//
// A tablet keeps its copy of the technician's work orders, the mutations it
// made and the attachments they reference in a Store (sync/client/bolt on a
// device, MemStore in tests). Client.Sync then does, in this order:
//
//	push    POST  /api/v1/sync/push          pending mutations, 100 a request, each kept until its result arrives
//	upload  PATCH /api/v1/sync/blobs/{sha}   attachments in chunks, resumed from the server's received length
//	pull    GET   /api/v1/sync/changes       pages until caught up, the cursor stored with each page
//
// Mutations are made by the device with a UUID of its own and sent unchanged
// on every retry, so the server applies each once however often it is sent.
// Every result is kept: applied mutations are done, rejected ones keep their
// problems and conflicts the server's version of the order, for the
// technician to see; none is dropped. An order that leaves the technician's
// scope is removed only once the tablet holds no pending mutation for it.
//
// Requests carry the device's clock (X-Device-Time), accept zstd or gzip
// answers and send push bodies compressed with zstd (gzip if the server
// refuses it). Network failures and 5xx answers are retried with
// exponential backoff; what was not sent stays in the Store for the next
// Sync.
package client
