package store

import (
	"time"

	"meter-sync/domain"
)

// CycleCommit records the commit (入库) of one reader's readings of one
// cycle [003:1219]: who committed, when, the counts at that moment and the
// readings that went in. A cycle is committed once; the record is never
// replaced (PutCycleCommit refuses a second one), so two reviewers cannot
// both commit it.
type CycleCommit struct {
	Cycle    domain.Month       `json:"cycle"`
	ReaderID string             `json:"reader_id"`
	By       string             `json:"by"`
	Role     string             `json:"role,omitempty"`
	At       time.Time          `json:"at"`
	Counts   CommitCounts       `json:"counts"`
	Readings []CommittedReading `json:"readings"` // by 用户编号
	// Missed lists the route's households with no reading, each confirmed as
	// 未抄 by a reviewer before the commit (MISSED, DESIGN §5.2).
	Missed []string `json:"missed,omitempty"`
}

// CommitCounts are a reader's cycle in numbers at commit (DOMAIN §3.13, §5.7).
type CommitCounts struct {
	Route     int `json:"route"`     // 应抄数: households in the route
	Read      int `json:"read"`      // households of the route with a reading
	Estimated int `json:"estimated"` // of them 估抄
	Missed    int `json:"missed"`    // of the route, no reading (confirmed 未抄)
	OffRoute  int `json:"off_route"` // readings of households not in the route (UNKNOWN)
	Anomalies int `json:"anomalies"` // anomalies of the cycle
	Confirmed int `json:"confirmed"` // of them confirmed
	Returned  int `json:"returned"`  // of them returned for a re-read (and read again)
}

// CommittedReading is one reading as committed: the household's newest
// version at the commit, with the use measured on it.
type CommittedReading struct {
	domain.Reading
	SeqNo         string  `json:"seq_no"`  // 抄表序号 of the household at the commit ("" off the store)
	Version       int     `json:"version"` // the reading version committed
	ConsumptionM3 float64 `json:"consumption_m3"`
}

// Commits reads the commit records.
type Commits interface {
	// CycleCommit returns the commit of a reader's cycle, or ErrNotFound.
	CycleCommit(cycle domain.Month, reader string) (CycleCommit, error)
	// CommitsOf lists the commits of a cycle by reader.
	CommitsOf(cycle domain.Month) ([]CycleCommit, error)
}

// CommitWriter records commits inside a Tx.
type CommitWriter interface {
	// PutCycleCommit stores the commit of a reader's cycle; if the cycle is
	// committed already it refuses with ErrConflict and stores nothing.
	PutCycleCommit(c CycleCommit) error
}
