package tabular

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Validate reports a schema that cannot match headers unambiguously: a
// column with neither Key nor Header, or one name (after trimming and ASCII
// case folding) given to two columns. Open and NewCSV call it.
func (s Schema) Validate() error {
	_, err := s.names()
	return err
}

// names maps every accepted header, folded, to its column id.
func (s Schema) names() (map[string]int, error) {
	m := make(map[string]int, 2*len(s))
	for id, c := range s {
		if c.Key == "" && c.Header == "" {
			return nil, fmt.Errorf("tabular: schema column %d has neither key nor header", id)
		}
		for _, n := range append([]string{c.Key, c.Header}, c.Aliases...) {
			n = fold(cleanHeader(n))
			if n == "" {
				continue
			}
			if prev, ok := m[n]; ok && prev != id {
				return nil, fmt.Errorf("tabular: schema: %q names both column %d and column %d", n, prev, id)
			}
			m[n] = id
		}
	}
	return m, nil
}

// cleanHeader trims white space (including the ideographic space) and any
// byte order mark that a header cell carries.
func cleanHeader(h string) string {
	return strings.TrimFunc(h, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\uFEFF'
	})
}

// fold lower-cases ASCII letters only, so English aliases match in any case
// while Chinese headers must match exactly.
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.Map(lowerASCII, s)
		}
	}
	return s
}

func lowerASCII(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// headerMap is the result of matching a file's header row to a Schema.
type headerMap struct {
	index   []int    // column id → field index in the file, or -1
	unknown []string // headers that name no column, in file order
}

// matchHeader maps the header fields found at line of file onto schema. All
// problems are reported together: one *Error per doubly named column, then
// one naming every missing required column.
func matchHeader(file string, line int, fields []string, schema Schema) (headerMap, error) {
	names, err := schema.names()
	if err != nil {
		return headerMap{}, err
	}
	hm := headerMap{index: make([]int, len(schema))}
	for i := range hm.index {
		hm.index[i] = -1
	}
	var errs []error
	for i, f := range fields {
		h := cleanHeader(f)
		id, ok := names[fold(h)]
		switch {
		case h == "":
		case !ok:
			hm.unknown = append(hm.unknown, h)
		case hm.index[id] >= 0:
			errs = append(errs, &Error{File: file, Line: line, Column: schema[id].title(),
				Reason: fmt.Sprintf("headers %q (field %d) and %q (field %d) both name this column",
					cleanHeader(fields[hm.index[id]]), hm.index[id]+1, h, i+1)})
		default:
			hm.index[id] = i
		}
	}
	if err := missing(file, line, schema, hm.index); err != nil {
		errs = append(errs, err)
	}
	return hm, joinErrors(errs)
}

// missing returns one *Error naming every required column absent from index.
func missing(file string, line int, schema Schema, index []int) error {
	var absent []string
	for id, c := range schema {
		if c.Required && index[id] < 0 {
			absent = append(absent, c.title())
		}
	}
	switch len(absent) {
	case 0:
		return nil
	case 1:
		return &Error{File: file, Line: line, Reason: "missing required column " + absent[0]}
	}
	return &Error{File: file, Line: line, Reason: "missing required columns " + strings.Join(absent, ", ")}
}

// joinErrors returns nil, the only error, or all of them joined; a single
// *Error is returned bare so that callers can type-assert it.
func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}
