package bolt

import (
	"bytes"
	"encoding/binary"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
)

// Bucket names. Keys that start with a household or reader id prefix it with
// its length, so that one id is never a prefix of another's keys.
var (
	bucketMeta      = []byte("meta")
	bucketCustomers = []byte("customers")    // 用户编号 → customer
	bucketRoute     = []byte("route")        // reader ‖ sort key → 用户编号 ‖ group
	bucketReaders   = []byte("readers")      // 抄表员编号 → reader
	bucketAssign    = []byte("assignments")  // book ‖ month → 抄表员编号
	bucketHistory   = []byte("history")      // 用户编号 ‖ date → reading
	bucketPurchases = []byte("ic_purchases") // 用户编号 ‖ instant ‖ n → volume
	bucketChanges   = []byte("meter_changes")
	bucketReadings  = []byte("readings") // 用户编号 ‖ cycle ‖ version → reading version (binary, codec.go)
	// cycle ‖ reader ‖ 用户编号 → nothing: whose readings a reader brought back
	bucketReadingIndex = []byte("reading_index")
	bucketAnomalies    = []byte("anomalies") // cycle ‖ reader ‖ 用户编号 ‖ code → anomaly (JSON)
	bucketAudit        = []byte("audit")     // seq → entry (JSON)
	bucketAccounts     = []byte("accounts")  // account id → account (JSON)
	bucketSessions     = []byte("sessions")  // SHA-256 of the cookie → session (JSON)
	bucketTokens       = []byte("tokens")    // token id → token (JSON)
	bucketDevices      = []byte("devices")   // handheld id → device (JSON)
	bucketOrders       = []byte("orders")    // 派工单号 → work order (JSON)
	bucketCommits      = []byte("commits")   // cycle ‖ reader → cycle commit (JSON)
	bucketReceipts     = []byte("receipts")  // receipt id ‖ version → receipt record (JSON)
	// 派工单号 ‖ seq and 用户编号 ‖ seq → receipt id ‖ version: a receipt's
	// versions by order and by household, in the order they were stored.
	bucketReceiptsByOrder    = []byte("receipts_by_order")
	bucketReceiptsByCustomer = []byte("receipts_by_customer")
	bucketReceiptSeq         = []byte("receipt_seq") // seq → receipt id ‖ version: every version in storage order
)

var allBuckets = [][]byte{bucketMeta, bucketCustomers, bucketRoute, bucketReaders, bucketAssign,
	bucketHistory, bucketPurchases, bucketChanges, bucketReadings, bucketReadingIndex, bucketAnomalies,
	bucketAudit, bucketAccounts, bucketSessions, bucketTokens, bucketDevices, bucketOrders, bucketCommits,
	bucketReceipts, bucketReceiptsByOrder, bucketReceiptsByCustomer, bucketReceiptSeq,
	bucketSyncChanges, bucketHeld, bucketHolders, bucketMutations, bucketMutationTimes, bucketBlobWaits, bucketSyncDevices}

// idPrefix is len(id) ‖ id.
func idPrefix(id string, extra int) []byte {
	k := make([]byte, 0, 1+len(id)+extra)
	k = append(k, byte(len(id)))
	return append(k, id...)
}

// routeKey orders a reader's households by walking order: one range scan over
// the reader's prefix is the reader's route (DESIGN §5.4). Unassigned books
// sit under the empty reader.
func routeKey(reader string, sort [domain.SortKeyLen]byte) []byte {
	return append(idPrefix(reader, domain.SortKeyLen), sort[:]...)
}

func routeBookPrefix(reader, book string) []byte {
	return append(idPrefix(reader, 4), book...)
}

func routeValue(id string, g domain.MonthGroup) []byte {
	return append([]byte(id), byte(g))
}

func splitRouteValue(v []byte) (id string, g domain.MonthGroup) {
	if len(v) == 0 {
		return "", 0
	}
	return string(v[:len(v)-1]), domain.MonthGroup(v[len(v)-1])
}

// monthBytes keeps months in order as unsigned big-endian keys.
func monthBytes(m domain.Month) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(int32(m))^(1<<31))
}

func bytesMonth(b []byte) domain.Month {
	return domain.Month(int32(binary.BigEndian.Uint32(b) ^ (1 << 31)))
}

func assignKey(book string, m domain.Month) []byte { return append([]byte(book), monthBytes(m)...) }

func instantBytes(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
}

func bytesInstant(b []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)^(1<<63))).In(domain.Local)
}

func historyKey(id string, date time.Time) []byte {
	return append(idPrefix(id, 8), instantBytes(date)...)
}

func purchaseKey(p domain.ICPurchase) []byte {
	k := append(idPrefix(p.CustomerID, 10), instantBytes(p.At)...)
	return binary.BigEndian.AppendUint16(k, uint16(p.N))
}

func changeKey(c domain.MeterChange) []byte {
	return append(idPrefix(c.CustomerID, 8), instantBytes(c.At)...)
}

func readingPrefix(id string, cycle domain.Month) []byte {
	return append(idPrefix(id, 8), monthBytes(cycle)...)
}

func readingKey(id string, cycle domain.Month, version int) []byte {
	return binary.BigEndian.AppendUint32(readingPrefix(id, cycle), uint32(version))
}

// cycleReaderPrefix is cycle ‖ reader: one reader's cycle, in the reading
// index and the anomalies alike.
func cycleReaderPrefix(cycle domain.Month, reader string) []byte {
	return append(monthBytes(cycle), idPrefix(reader, 0)...)
}

func readingIndexKey(cycle domain.Month, reader, id string) []byte {
	return append(cycleReaderPrefix(cycle, reader), idPrefix(id, 0)...)
}

func anomalyKey(k store.AnomalyKey) []byte {
	return append(readingIndexKey(k.Cycle, k.ReaderID, k.CustomerID), idPrefix(k.Code, 0)...)
}

// splitID takes a length-prefixed id off the front of b.
func splitID(b []byte) (id string, rest []byte, ok bool) {
	if len(b) == 0 || len(b) < 1+int(b[0]) {
		return "", nil, false
	}
	return string(b[1 : 1+int(b[0])]), b[1+int(b[0]):], true
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// hasPrefix is bytes.HasPrefix, named for cursor loops.
func hasPrefix(k, prefix []byte) bool { return k != nil && bytes.HasPrefix(k, prefix) }
