// Package masterdata imports the CIS's master files (customers, readers,
// history, IC purchases, meter changes) into the store, and the readings a
// reader brings back for a cycle, which it validates (package vee) in the
// same transaction; it also writes the route files that file-based
// handhelds are loaded with.
//
// An import is one transaction: by default a file with any bad row commits
// nothing, and every bad row is reported with its file, line, column and
// reason. With Partial, the good rows are committed and the bad ones are
// written to a rejects file. Importing the same file again changes nothing;
// a changed file updates the records it changes and audits each update with
// the record before and after.
package masterdata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/store"
	"meter-sync/tabular"
	"meter-sync/vee"
)

// Options describe one import.
type Options struct {
	Kind     interchange.Kind
	Path     string
	Encoding string // "" or "auto" to detect, "utf-8", "gbk"
	// Partial commits the good rows of a file with bad rows and writes the
	// bad ones to RejectsPath (default: Path + ".rejects.csv").
	Partial     bool
	RejectsPath string
	Actor       string           // who imports, for the audit trail; default "cli"
	Now         func() time.Time // default time.Now
	// Progress, if set, is called now and then with bytes (or rows) done and
	// the total.
	Progress func(done, total int64)
	Logger   *slog.Logger

	// Reader (抄表员编号) and Cycle are whose readings, for which month, a
	// readings file holds; both are required for Kind readings and refused
	// for the other kinds.
	Reader string
	Cycle  domain.Month
	// Validation are the thresholds readings are validated with; nil means
	// vee.DefaultParams(). A zero Now is set to the import's clock.
	Validation *vee.Params
	// Source, DeviceID and ClockSkew say how readings came: a file (the
	// default), a docked handheld's device protocol or YMODEM. Every reading
	// version keeps them, with the skew of the handheld's clock measured at
	// the dock (DESIGN §5.8).
	Source    domain.Source
	DeviceID  string
	ClockSkew time.Duration
}

// Result says what an import did.
type Result struct {
	File        string
	Kind        interchange.Kind
	Encoding    string
	Rows        int // data rows read
	Created     int
	Updated     int
	Unchanged   int
	Skipped     int // readings rows with no reading in them (a route file's households not read)
	Rejected    int
	Committed   bool
	RejectsPath string           // written only with Partial and bad rows
	Errors      []*tabular.Error // the first MaxErrors bad rows
	Duration    time.Duration
	// Anomalies counts, by code, the anomalies of the reader's cycle after a
	// readings import, whatever their status; AnomalyChanges says what the
	// import did to them.
	Anomalies      map[string]int
	AnomalyChanges AnomalyChanges
}

// AnomalyChanges counts what validating a reader's readings did to the
// stored anomalies of the cycle.
type AnomalyChanges struct {
	Added   int // found for the first time
	Updated int // open, found again with other evidence
	Removed int // open, no longer found
	Kept    int // decided by a reviewer, left as they are
}

// Changed reports whether the import changed any stored anomaly.
func (c AnomalyChanges) Changed() bool { return c.Added+c.Updated+c.Removed > 0 }

// MaxErrors bounds Result.Errors; Rejected counts them all.
const MaxErrors = 200

// ErrBadRows is returned (wrapped) when a file had bad rows and nothing was
// committed.
var ErrBadRows = errors.New("masterdata: file has bad rows; nothing committed")

// Kinds lists the master kinds Import accepts, in the order a whole city is
// best imported: readers first, so that households go straight to their
// reader's route instead of moving there when their book is assigned.
// Import also accepts interchange.Readings, one reader's cycle at a time
// (Options.Reader and Options.Cycle), once the master files are in.
func Kinds() []interchange.Kind {
	return []interchange.Kind{interchange.Readers, interchange.Customers, interchange.History,
		interchange.ICPurchases, interchange.MeterChanges}
}

// Import reads one file into st.
func Import(st store.Store, opt Options) (Result, error) {
	opt = withDefaults(opt)
	start := opt.Now()
	res := Result{File: opt.Path, Kind: opt.Kind}
	newHandler, ok := handlers[opt.Kind]
	if !ok {
		return res, fmt.Errorf("masterdata: unknown kind %q (want one of %v or %s)", opt.Kind, Kinds(), interchange.Readings)
	}
	if err := checkReaderCycle(opt); err != nil {
		return res, err
	}
	schema, _ := interchange.SchemaOf(opt.Kind)
	r, err := tabular.Open(opt.Path, schema, tabular.Options{Encoding: opt.Encoding})
	if err != nil {
		return res, err
	}
	defer r.Close()
	res.Encoding = r.Encoding()
	var rejects *rejectWriter
	if opt.Partial {
		rejects = &rejectWriter{path: opt.RejectsPath, schema: schema}
	}
	run := &run{opt: opt, r: r, res: &res, rejects: rejects}
	err = st.Update(func(tx store.Tx) error { return run.all(tx, newHandler(run)) })
	res.Duration = opt.Now().Sub(start)
	if rejects != nil {
		if cerr := rejects.close(); cerr != nil && err == nil {
			err = cerr
		}
		res.RejectsPath = rejects.written()
	}
	if err != nil {
		res.Created, res.Updated, res.Unchanged, res.Skipped = 0, 0, 0, 0
		res.Anomalies, res.AnomalyChanges = nil, AnomalyChanges{}
		if errors.Is(err, ErrBadRows) {
			err = fmt.Errorf("%w: %d bad rows in %s, first: %v", ErrBadRows, res.Rejected, opt.Path, res.Errors[0])
		}
		return res, err
	}
	res.Committed = true
	opt.Logger.Info("import", logAttrs(opt, res)...)
	return res, nil
}

// ImportIn imports a readings file's bytes (CSV) inside the caller's
// transaction tx, for a caller that stores records of its own with the
// readings (the tablet sync's idempotency records): the readings, their
// validation and the audit trail commit or roll back with the caller's
// writes. opt.Path names the file (its spooled copy) in row errors and the
// audit trail; it is not read. With opt.Partial the good rows are stored and
// the bad ones reported in Result.Errors (no rejects file is written);
// without it a bad row returns ErrBadRows after rows were stored, and the
// caller must roll tx back.
func ImportIn(tx store.Tx, opt Options, data []byte) (Result, error) {
	opt = withDefaults(opt)
	res := Result{File: opt.Path, Kind: opt.Kind}
	if opt.Kind != interchange.Readings {
		return res, fmt.Errorf("masterdata: ImportIn takes readings, not %s", opt.Kind)
	}
	if err := checkReaderCycle(opt); err != nil {
		return res, err
	}
	r, err := tabular.NewCSV(bytes.NewReader(data), opt.Path, int64(len(data)), interchange.ReadingSchema,
		tabular.Options{Encoding: opt.Encoding})
	if err != nil {
		return res, err
	}
	defer r.Close()
	res.Encoding = r.Encoding()
	run := &run{opt: opt, r: r, res: &res}
	if err := run.all(tx, newReadingHandler(run)); err != nil {
		return res, err
	}
	res.Committed = true
	return res, nil
}

// logAttrs says what an import did, for the log.
func logAttrs(opt Options, res Result) []any {
	attrs := []any{"kind", opt.Kind, "file", opt.Path, "rows", res.Rows, "created", res.Created,
		"updated", res.Updated, "unchanged", res.Unchanged, "rejected", res.Rejected, "took", res.Duration}
	if opt.Kind == interchange.Readings {
		attrs = append(attrs, "reader", opt.Reader, "cycle", opt.Cycle.String(), "not_read", res.Skipped,
			"anomalies", res.Anomalies, "anomalies_added", res.AnomalyChanges.Added,
			"anomalies_updated", res.AnomalyChanges.Updated, "anomalies_removed", res.AnomalyChanges.Removed)
	}
	return attrs
}

func withDefaults(opt Options) Options {
	if opt.Actor == "" {
		opt.Actor = "cli"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.RejectsPath == "" {
		opt.RejectsPath = opt.Path + ".rejects.csv"
	}
	if opt.Source == "" {
		opt.Source = domain.FromFile
	}
	return opt
}

// checkReaderCycle requires Reader and Cycle for a readings file and refuses
// them for the other kinds, which belong to no reader or cycle.
func checkReaderCycle(opt Options) error {
	if opt.Kind == interchange.Readings {
		if opt.Reader == "" || opt.Cycle == 0 {
			return fmt.Errorf("masterdata: a readings file needs its reader (抄表员编号) and cycle")
		}
		return nil
	}
	if opt.Reader != "" || opt.Cycle != 0 {
		return fmt.Errorf("masterdata: a reader and a cycle belong to readings files, not %s", opt.Kind)
	}
	return nil
}

// handler is one kind's import: decode turns a row's cells into a record and
// runs beside the store's transaction, on its own goroutine; apply stores a
// decoded record inside the transaction.
type handler interface {
	decode(d *decoded) (any, error)
	apply(tx store.Tx, d *decoded) (outcome, error)
}

// starter is a handler with work to do in the transaction before the rows.
type starter interface {
	start(tx store.Tx) error
}

// finisher is a handler with work to do in the transaction after the rows,
// when they are all stored (or, with Partial, the good ones).
type finisher interface {
	finish(tx store.Tx) error
}

type outcome int

const (
	unchanged outcome = iota
	created
	updated
	skipped // a row with nothing to store
)

var handlers = map[interchange.Kind]func(*run) handler{
	interchange.Customers:    newCustomerHandler,
	interchange.Readers:      newReaderHandler,
	interchange.History:      newHistoryHandler,
	interchange.ICPurchases:  newPurchaseHandler,
	interchange.MeterChanges: newMeterChangeHandler,
	interchange.Readings:     newReadingHandler,
}

// run is the state of one import.
type run struct {
	opt     Options
	r       *tabular.Reader
	res     *Result
	rejects *rejectWriter
}

// decoded is one row on its way from the file to the store.
type decoded struct {
	line  int
	cells cells // the row's trimmed values, by schema column
	rec   any
	err   error // a bad row: *tabular.Error; anything else stops the import
}

// cells are a row's values by schema column.
type cells []string

// Value implements interchange.Values.
func (c cells) Value(col int) string {
	if col < 0 || col >= len(c) {
		return ""
	}
	return c[col]
}

const (
	batchRows     = 512
	progressEvery = 4096
)

// rows streams the file through three stages, each on its own goroutine so
// that both cores work: reading cells (CSV or XLSX), decoding them into
// records with every row rule checked, and storing the records (here, inside
// the transaction). Batches keep the rows in file order.
func (u *run) rows(tx store.Tx, h handler) error {
	stop := make(chan struct{})
	defer close(stop)
	read := make(chan []decoded, 4)
	ready := make(chan []decoded, 4)
	go u.readAll(read, stop)
	go decodeAll(h, read, ready, stop)
	for batch := range ready {
		for i := range batch {
			if err := u.store(tx, h, &batch[i]); err != nil {
				return err
			}
		}
		if u.res.Rows%progressEvery < len(batch) {
			u.progress()
		}
	}
	u.progress()
	return nil
}

// all is the whole import inside its transaction.
func (u *run) all(tx store.Tx, h handler) error {
	if s, ok := h.(starter); ok {
		if err := s.start(tx); err != nil {
			return err
		}
	}
	if err := u.rows(tx, h); err != nil {
		return err
	}
	if u.res.Rejected > 0 && !u.opt.Partial {
		return ErrBadRows
	}
	if f, ok := h.(finisher); ok {
		if err := f.finish(tx); err != nil {
			return err
		}
	}
	return u.auditSummary(tx)
}

// readAll reads rows into batches of cells; a fatal error ends the stream.
func (u *run) readAll(out chan<- []decoded, stop <-chan struct{}) {
	defer close(out)
	schema, _ := interchange.SchemaOf(u.opt.Kind)
	width := len(schema)
	for {
		batch := make([]decoded, 0, batchRows)
		cells := make([]string, batchRows*width) // one allocation for the batch's cells
		done := false
		for len(batch) < batchRows && !done {
			row, err := u.r.Next()
			if err == io.EOF {
				done = true
				break
			}
			d := decoded{err: err}
			if row != nil {
				d.line = row.Line()
				d.cells = cells[len(batch)*width : (len(batch)+1)*width : (len(batch)+1)*width]
				for col := range d.cells {
					d.cells[col] = row.Value(col)
				}
			}
			batch = append(batch, d)
			done = isFatal(err)
		}
		select {
		case out <- batch:
		case <-stop:
			return
		}
		if done {
			return
		}
	}
}

// decodeAll decodes each batch's rows that were read without error.
func decodeAll(h handler, in <-chan []decoded, out chan<- []decoded, stop <-chan struct{}) {
	defer close(out)
	for batch := range in {
		for i := range batch {
			if d := &batch[i]; d.err == nil {
				d.rec, d.err = h.decode(d)
			}
		}
		select {
		case out <- batch:
		case <-stop:
			return
		}
	}
}

// isFatal tells an error that stops the import from a bad row.
func isFatal(err error) bool {
	var rowErr *tabular.Error
	return err != nil && !errors.As(err, &rowErr)
}

func (u *run) store(tx store.Tx, h handler, d *decoded) error {
	u.res.Rows++
	err := d.err
	if err == nil {
		var out outcome
		if out, err = h.apply(tx, d); err == nil {
			u.count(out)
			return nil
		}
	}
	var rowErr *tabular.Error
	if errors.As(err, &rowErr) {
		u.reject(rowErr, d.cells)
		return nil
	}
	return fmt.Errorf("%s:%d: %w", u.opt.Path, d.line, err)
}

// fail is a bad-row error found while storing row d.
func (u *run) fail(d *decoded, col int, format string, args ...any) *tabular.Error {
	return &tabular.Error{File: u.r.Name(), Line: d.line, Column: u.header(col), Reason: fmt.Sprintf(format, args...)}
}

func (u *run) count(out outcome) {
	switch out {
	case created:
		u.res.Created++
	case updated:
		u.res.Updated++
	case skipped:
		u.res.Skipped++
	default:
		u.res.Unchanged++
	}
}

func (u *run) progress() {
	if u.opt.Progress != nil {
		u.opt.Progress(u.r.Progress())
	}
}

func (u *run) reject(e *tabular.Error, values []string) {
	u.res.Rejected++
	if len(u.res.Errors) < MaxErrors {
		u.res.Errors = append(u.res.Errors, e)
	}
	if u.rejects != nil {
		u.rejects.add(e, values)
	}
}

// rowError turns an interchange row error into a located *tabular.Error; the
// first column's problem leads, the others follow in the reason.
func (u *run) rowError(d *decoded, err error) error {
	var re interchange.RowError
	if !errors.As(err, &re) || len(re) == 0 {
		return err
	}
	e := u.fail(d, re[0].Col, "%s", re[0].Reason)
	for _, more := range re[1:] {
		e.Reason += fmt.Sprintf("; %s: %s", u.header(more.Col), more.Reason)
	}
	return e
}

func (u *run) header(col int) string {
	schema, _ := interchange.SchemaOf(u.opt.Kind)
	if col >= 0 && col < len(schema) {
		return schema[col].Header
	}
	return fmt.Sprint(col)
}

// audit records an update of one record with its before and after.
func (u *run) audit(tx store.Tx, action, key string, d *decoded, before, after any) error {
	b, err := json.Marshal(before)
	if err != nil {
		return err
	}
	a, err := json.Marshal(after)
	if err != nil {
		return err
	}
	_, err = tx.AppendAudit(store.AuditEntry{At: u.opt.Now(), Actor: u.opt.Actor, Action: action, Key: key,
		Before: b, After: a, Note: fmt.Sprintf("%s:%d", u.opt.Path, d.line)})
	return err
}

// auditSummary records the import itself; each created record is not audited
// one by one (a first import of a city would double the store), each update is.
func (u *run) auditSummary(tx store.Tx) error {
	res := u.res
	if res.Created == 0 && res.Updated == 0 && !res.AnomalyChanges.Changed() {
		return nil
	}
	key := u.opt.Path
	note := fmt.Sprintf("rows %d, created %d, updated %d, unchanged %d, rejected %d",
		res.Rows, res.Created, res.Updated, res.Unchanged, res.Rejected)
	if u.opt.Kind == interchange.Readings {
		ac := res.AnomalyChanges
		key = u.opt.Reader
		note = fmt.Sprintf("%s %s (%s): rows %d, new readings %d, new versions %d, unchanged %d, not read %d, rejected %d; "+
			"anomalies added %d, updated %d, removed %d, kept %d", u.opt.Reader, u.opt.Cycle, u.opt.Path, res.Rows,
			res.Created, res.Updated, res.Unchanged, res.Skipped, res.Rejected, ac.Added, ac.Updated, ac.Removed, ac.Kept)
	}
	_, err := tx.AppendAudit(store.AuditEntry{At: u.opt.Now(), Actor: u.opt.Actor,
		Action: "import." + string(u.opt.Kind), Key: key, Note: note})
	return err
}
