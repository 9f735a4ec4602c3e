package link

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
)

// Partials keeps the prefixes of transfers cut off, so that the next
// docking resumes them. id names one encoded stream (dock.PartialKey).
type Partials interface {
	// Partial returns the prefix held for id; nil, with no error, for none.
	Partial(id string) ([]byte, error)
	// PutPartial writes b at offset of id's prefix, which then ends after
	// b. offset is at most the length held.
	PutPartial(id string, offset int64, b []byte) error
	// DropPartial forgets id's prefix; dropping what is not held is not an
	// error.
	DropPartial(id string) error
}

// MemPartials keeps prefixes in memory, for tests and emulators. The zero
// value is ready to use.
type MemPartials struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Partial returns a copy of id's prefix.
func (p *MemPartials) Partial(id string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.m[id]), nil
}

// PutPartial writes b at offset.
func (p *MemPartials) PutPartial(id string, offset int64, b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.m[id]
	if offset < 0 || offset > int64(len(old)) {
		return fmt.Errorf("link: partial %s: offset %d beyond the %d bytes held", id, offset, len(old))
	}
	if p.m == nil {
		p.m = map[string][]byte{}
	}
	p.m[id] = append(old[:offset:offset], b...)
	return nil
}

// DropPartial forgets id's prefix.
func (p *MemPartials) DropPartial(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
	return nil
}

// DirPartials keeps each prefix in a file named after its id in the
// directory it names, made when first needed. Every write is synced.
type DirPartials string

var partialID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,200}$`)

func (d DirPartials) path(id string) (string, error) {
	if !partialID.MatchString(id) || id[0] == '.' {
		return "", fmt.Errorf("link: partial id %q is not a file name", id)
	}
	return filepath.Join(string(d), id+".part"), nil
}

// Partial reads id's file.
func (d DirPartials) Partial(id string) ([]byte, error) {
	path, err := d.path(id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	return b, nil
}

// PutPartial writes b at offset of id's file, cuts it after b and syncs.
func (d DirPartials) PutPartial(id string, offset int64, b []byte) error {
	path, err := d.path(id)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o750); err != nil {
		return fmt.Errorf("link: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	err = writePartial(f, offset, b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("link: partial %s: %w", id, err)
	}
	return nil
}

func writePartial(f *os.File, offset int64, b []byte) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if offset < 0 || offset > st.Size() {
		return fmt.Errorf("offset %d beyond the %d bytes held", offset, st.Size())
	}
	if _, err := f.WriteAt(b, offset); err != nil {
		return err
	}
	if err := f.Truncate(offset + int64(len(b))); err != nil {
		return err
	}
	return f.Sync()
}

// DropPartial removes id's file.
func (d DirPartials) DropPartial(id string) error {
	path, err := d.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("link: %w", err)
	}
	return nil
}
