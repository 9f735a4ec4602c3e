// Package orders holds the business rules of work orders (派工单) and their
// receipts (回执), DOMAIN.md §4: the business types and their outcome
// vocabularies, priorities, commitment windows in working days, the order
// lifecycle (待派工 → 已派工 → reassigned, postponed → 已完成, or 已取消 /
// 已作废 / 待重新派工) with who may do what, and receipt validation with the
// meter-state transition and customer changes each receipt drives.
//
// Nothing here does I/O: records are read and written through a store.Tx the
// caller opens, so an office action, or a receipt with the order it creates,
// the customer it changes and its audit entries, is one transaction.
//
// The entry points:
//
//   - CreateOrder, Dispatch, Reassign, Postpone, Void, Cancel: the office's
//     actions, each checked against the actor's permissions and the order's
//     status and version, each appended to the order's history and the audit
//     trail.
//   - DecodeReceipt: the strict JSON decoder of a pushed receipt (store.Receipt).
//   - ValidateReceipt: every rule a receipt must pass, pure.
//   - ApplyReceipt: validates a receipt against its order and household and
//     applies it, or keeps it as rejected or in conflict.
//
// Conflicts are decided by the business, never by timestamps (DESIGN
// §5.11-5.12): a receipt for an order the office voided, cancelled or
// reassigned since the version the tablet saw is stored, flagged 冲突 and
// shown to the back office, and neither the field's record nor the office's
// change is lost or undone.
//
// Citations such as [003:1365] point into the sources of DOMAIN.md (file 003,
// line 1365).
package orders
