// Package vee validates meter readings (VEE: validation, estimation, editing)
// before back office reviews and commits them (入库): the anomalies of
// DOMAIN.md §3 under the decisions of DESIGN.md §5.1-5.3.
//
// At import the clerk must confirm large volumes (确认大额方数) and check the
// data for anomalies, sending any anomalous household back to its reader for
// a re-read (退回抄表员重抄) [003:1219]; the sources name neither the
// anomalies nor their thresholds (DOMAIN §3.1-3.2), so the codes and
// thresholds here are DESIGN §5.1-5.2's, every threshold a key of the
// configuration (config.Validation).
//
// The package is pure: no I/O, no store, no clock of its own. The caller
// hands in a household's record, history, IC purchases and meter exchanges
// (Household), the reading, and the thresholds and the time of validation
// (Params). Every rule is one function that cites its source; every anomaly
// names the values the rule compared (Evidence), in Chinese for the staff
// who review it, and the action the sources prescribe (Suggest, Order).
//
// A reading is never dropped: a value or a time that cannot be right is
// reported as an anomaly with the reason, never discarded.
package vee
