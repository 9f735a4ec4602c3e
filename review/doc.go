// Package review is the back office's review of imported readings, DOMAIN
// §2.3 steps 4-8 [003:1219]: reconcile the count of households read, confirm
// large volumes and the other anomalies, return households to their reader
// for a re-read (退回重抄), and commit (入库) a reader's cycle once nothing
// blocking is left; then what follows from it: the work orders (派工单) that
// confirmed anomalies prescribe, the committed readings for the CIS, the
// reader's monthly 抄表管理报告 and the monthly ignition table per estate.
//
// The rules live here; the server's pages and the CLI only parse, authorise
// and render. Storage is through package store's interfaces: every action
// is one transaction, checked against the anomaly's Version (two reviewers
// deciding one anomaly at once: one gets store.ErrConflict), recorded in the
// anomaly's Decisions and in the audit trail.
//
// Reading:
//   - CountsOf: a reader's cycle in numbers, read vs route (DOMAIN §3.13).
//   - Queue / Select: a page of a reader's anomalies, filtered by code,
//     status and severity, sorted, paged by an opaque cursor.
//   - HouseholdOf: one household's anomalies, reading versions and history
//     (for the consumption chart).
//   - Pending / Unresolved: whether an anomaly still wants a decision, and
//     whether it holds the commit back.
//
// Acting:
//   - Decide: confirm (确认) or return for re-read (退回重抄) anomalies
//     named by key and version, all in one transaction.
//   - DecideBulk: the same for every pending anomaly a Selection names
//     (by household, by code, or both).
//   - Apply: one decision inside a caller's transaction.
//   - Commit: 入库 of a reader's cycle: MISSED computed, refused while
//     anything blocks, idempotent, all or nothing.
//   - Orders: the work orders confirmations created.
//
// Outputs:
//   - ExportReadings: committed readings with their use, paged by cursor.
//   - ReaderReports / ReaderReportOf / SumReports: the 抄表管理报告
//     (DOMAIN §5.7) and its totals.
//   - Ignitions / TallyIgnitions: the ignition table per estate for the
//     26th-25th window (DOMAIN §5.1, DESIGN §5.7).
//   - WriteReadings, WriteReportsXLSX, WriteIgnitionsXLSX (and NewWriter):
//     the same as CSV or XLSX files.
package review
