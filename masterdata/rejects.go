package masterdata

import (
	"fmt"
	"strconv"

	"meter-sync/interchange"
	"meter-sync/tabular"
)

// rejectWriter writes the rows an import refused, with their line and
// reason, in the same columns as the input so they can be fixed and
// imported again. The file is created only if a row is refused.
type rejectWriter struct {
	path   string
	schema tabular.Schema
	w      *tabular.Writer
	err    error
}

func (rw *rejectWriter) add(e *tabular.Error, cells []string) {
	if rw.err != nil {
		return
	}
	if rw.w == nil {
		headers := append([]string{"行号", "错误"}, interchange.Headers(rw.schema)...)
		rw.w, rw.err = tabular.Create(rw.path, headers, tabular.WriteOptions{})
		if rw.err != nil {
			return
		}
	}
	values := []string{strconv.Itoa(e.Line), e.Reason}
	if e.Column != "" {
		values[1] = fmt.Sprintf("%s: %s", e.Column, e.Reason)
	}
	values = append(values, cells...)
	for len(values) < 2+len(rw.schema) { // a row too malformed to have cells
		values = append(values, "")
	}
	rw.err = rw.w.Write(values)
}

func (rw *rejectWriter) close() error {
	if rw.w != nil {
		if err := rw.w.Close(); rw.err == nil {
			rw.err = err
		}
	}
	return rw.err
}

func (rw *rejectWriter) written() string {
	if rw.w == nil {
		return ""
	}
	return rw.path
}
