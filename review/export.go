package review

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"meter-sync/domain"
	"meter-sync/store"
)

// ExportReadings lists the committed readings of a cycle for the CIS, by
// reader then 用户编号, up to limit (0: all) after the cursor after ("" from
// the top); next is the cursor of the rest, "" at the end. Only committed
// cycles are exported: a reader's cycle appears whole once it is committed,
// never in part.
func ExportReadings(rt store.ReadTx, cycle domain.Month, after string, limit int) (rows []store.CommittedReading, next string, err error) {
	var fromReader, fromCustomer string
	if after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		r, c, ok := strings.Cut(string(b), "\x00")
		if err != nil || !ok {
			return nil, "", fmt.Errorf("%w: cursor %q", ErrBadQuery, after)
		}
		fromReader, fromCustomer = r, c
	}
	cs, err := rt.CommitsOf(cycle)
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(cs, func(a, b store.CycleCommit) int { return strings.Compare(a.ReaderID, b.ReaderID) })
	var lastReader string
	for _, c := range cs {
		if after != "" && c.ReaderID < fromReader {
			continue
		}
		for _, r := range c.Readings {
			if after != "" && c.ReaderID == fromReader && r.CustomerID <= fromCustomer {
				continue
			}
			if limit > 0 && len(rows) == limit {
				last := rows[len(rows)-1]
				return rows, base64.RawURLEncoding.EncodeToString([]byte(lastReader + "\x00" + last.CustomerID)), nil
			}
			rows = append(rows, r)
			lastReader = c.ReaderID
		}
	}
	return rows, "", nil
}
