// Package masterdata imports the CIS's master files (customers, readers,
// history, IC purchases, meter changes) into the store.
//
// An import is one transaction: by default a file with any bad row commits
// nothing, and every bad row is reported with its file, line, column and
// reason. With Partial, the good rows are committed and the bad ones are
// written to a rejects file. Importing the same file again changes nothing;
// a changed file updates the records it changes and audits each update with
// the record before and after.
package masterdata

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"meter-sync/interchange"
	"meter-sync/store"
	"meter-sync/tabular"
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
	Rejected    int
	Committed   bool
	RejectsPath string           // written only with Partial and bad rows
	Errors      []*tabular.Error // the first MaxErrors bad rows
	Duration    time.Duration
}

// MaxErrors bounds Result.Errors; Rejected counts them all.
const MaxErrors = 200

// ErrBadRows is returned (wrapped) when a file had bad rows and nothing was
// committed.
var ErrBadRows = errors.New("masterdata: file has bad rows; nothing committed")

// Kinds lists the kinds Import accepts.
func Kinds() []interchange.Kind {
	return []interchange.Kind{interchange.Customers, interchange.Readers, interchange.History,
		interchange.ICPurchases, interchange.MeterChanges}
}

// Import reads one file into st.
func Import(st store.Store, opt Options) (Result, error) {
	opt = withDefaults(opt)
	start := opt.Now()
	res := Result{File: opt.Path, Kind: opt.Kind}
	newHandler, ok := handlers[opt.Kind]
	if !ok {
		return res, fmt.Errorf("masterdata: unknown kind %q (want one of %v)", opt.Kind, Kinds())
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
	err = st.Update(func(tx store.Tx) error {
		if err := run.rows(tx, newHandler(run)); err != nil {
			return err
		}
		if res.Rejected > 0 && !opt.Partial {
			return ErrBadRows
		}
		return run.auditSummary(tx)
	})
	res.Duration = opt.Now().Sub(start)
	if rejects != nil {
		if cerr := rejects.close(); cerr != nil && err == nil {
			err = cerr
		}
		res.RejectsPath = rejects.written()
	}
	if err != nil {
		res.Created, res.Updated, res.Unchanged = 0, 0, 0
		if errors.Is(err, ErrBadRows) {
			err = fmt.Errorf("%w: %d bad rows in %s, first: %v", ErrBadRows, res.Rejected, opt.Path, res.Errors[0])
		}
		return res, err
	}
	res.Committed = true
	opt.Logger.Info("import", "kind", opt.Kind, "file", opt.Path, "rows", res.Rows, "created", res.Created,
		"updated", res.Updated, "unchanged", res.Unchanged, "rejected", res.Rejected, "took", res.Duration)
	return res, nil
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
	return opt
}

// handler is one kind's import: decode reads a row into a record and runs
// beside the store's transaction, on its own goroutine; apply stores a
// decoded record inside the transaction.
type handler interface {
	decode(row *tabular.Row) (any, error)
	apply(tx store.Tx, d *decoded) (outcome, error)
}

type outcome int

const (
	unchanged outcome = iota
	created
	updated
)

var handlers = map[interchange.Kind]func(*run) handler{
	interchange.Customers:    newCustomerHandler,
	interchange.Readers:      newReaderHandler,
	interchange.History:      newHistoryHandler,
	interchange.ICPurchases:  newPurchaseHandler,
	interchange.MeterChanges: newMeterChangeHandler,
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
	line   int
	rec    any
	err    error    // a bad row: *tabular.Error; anything else stops the import
	values []string // the row's cells, kept only for a rejects file
}

const (
	batchRows     = 512
	progressEvery = 4096
)

// rows streams the file: one goroutine reads and decodes rows in batches while
// this one stores them, so the two cores share the work.
func (u *run) rows(tx store.Tx, h handler) error {
	batches := make(chan []decoded, 8)
	stop := make(chan struct{})
	defer close(stop)
	go u.decodeAll(h, batches, stop)
	for batch := range batches {
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

func (u *run) decodeAll(h handler, out chan<- []decoded, stop <-chan struct{}) {
	defer close(out)
	batch := make([]decoded, 0, batchRows)
	for {
		row, err := u.r.Next()
		if err == io.EOF {
			break
		}
		d := decoded{err: err}
		if row != nil {
			d.line = row.Line()
			if u.rejects != nil {
				d.values = u.cells(row)
			}
		}
		if err == nil {
			d.rec, d.err = h.decode(row)
		}
		batch = append(batch, d)
		if len(batch) == batchRows || isFatal(d.err) {
			select {
			case out <- batch:
			case <-stop:
				return
			}
			if isFatal(d.err) {
				return
			}
			batch = make([]decoded, 0, batchRows)
		}
	}
	select {
	case out <- batch:
	case <-stop:
	}
}

// isFatal tells an error that stops the import from a bad row.
func isFatal(err error) bool {
	var rowErr *tabular.Error
	return err != nil && !errors.As(err, &rowErr)
}

func (u *run) cells(row *tabular.Row) []string {
	schema, _ := interchange.SchemaOf(u.opt.Kind)
	v := make([]string, len(schema))
	for col := range v {
		v[col] = row.Value(col)
	}
	return v
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
		u.reject(rowErr, d.values)
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
func (u *run) rowError(row *tabular.Row, err error) error {
	var re interchange.RowError
	if !errors.As(err, &re) || len(re) == 0 {
		return err
	}
	e := u.r.Errorf(row, re[0].Col, "%s", re[0].Reason)
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
	if u.res.Created == 0 && u.res.Updated == 0 {
		return nil
	}
	note := fmt.Sprintf("rows %d, created %d, updated %d, unchanged %d, rejected %d",
		u.res.Rows, u.res.Created, u.res.Updated, u.res.Unchanged, u.res.Rejected)
	_, err := tx.AppendAudit(store.AuditEntry{At: u.opt.Now(), Actor: u.opt.Actor,
		Action: "import." + string(u.opt.Kind), Key: u.opt.Path, Note: note})
	return err
}
