package sync

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	gosync "sync"

	"meter-sync/orders"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
)

// Attachments (photos, signatures) are files under BlobDir, named by their
// SHA-256: a whole one at ab/abcdef…, one being received at
// partial/abcdef….LENGTH. A file is renamed into place only once its bytes
// hash to its name, so a whole attachment can never change (DOMAIN §4.4:
// what the server keeps cannot be changed). The filesystem is the state:
// the size of the partial file is the offset a client resumes from, so a
// connection cut mid-chunk loses only the bytes that did not arrive.
type blobStore struct {
	dir   string
	mu    gosync.Mutex
	locks map[string]*gosync.Mutex
}

// lock serialises the uploads of one attachment.
func (b *blobStore) lock(sha string) func() {
	b.mu.Lock()
	l, ok := b.locks[sha]
	if !ok {
		l = new(gosync.Mutex)
		b.locks[sha] = l
	}
	b.mu.Unlock()
	l.Lock()
	return l.Unlock
}

func (b *blobStore) final(sha string) string { return filepath.Join(b.dir, sha[:2], sha) }

func (b *blobStore) partial(sha string, length int64) string {
	return filepath.Join(b.dir, "partial", sha+"."+strconv.FormatInt(length, 10))
}

// findPartial is the partial file of sha and its declared length, if any.
func (b *blobStore) findPartial(sha string) (path string, length int64, err error) {
	ents, err := os.ReadDir(filepath.Join(b.dir, "partial"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, nil
	}
	for _, e := range ents {
		if name, n, ok := strings.Cut(e.Name(), "."); ok && name == sha {
			l, err := strconv.ParseInt(n, 10, 64)
			if err == nil {
				return filepath.Join(b.dir, "partial", e.Name()), l, nil
			}
		}
	}
	return "", 0, err
}

// BlobState is how much of an attachment the server has.
type BlobState struct {
	Offset   int64 // bytes received
	Length   int64 // the whole size, 0 before the first chunk
	Complete bool  // whole and verified
}

func (s *Service) blobStore() (*blobStore, error) {
	if s.blobs == nil {
		return nil, ErrUnavailable
	}
	return s.blobs, nil
}

// Blob says how much of attachment sha has arrived.
func (s *Service) Blob(sha string) (BlobState, error) {
	b, err := s.blobStore()
	if err != nil {
		return BlobState{}, err
	}
	if sha, err = syncwire.ParseSHA256(sha); err != nil {
		return BlobState{}, err
	}
	defer b.lock(sha)()
	return b.state(sha)
}

func (b *blobStore) state(sha string) (BlobState, error) {
	if fi, err := os.Stat(b.final(sha)); err == nil {
		return BlobState{Offset: fi.Size(), Length: fi.Size(), Complete: true}, nil
	}
	p, length, err := b.findPartial(sha)
	if p == "" || err != nil {
		return BlobState{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return BlobState{}, err
	}
	return BlobState{Offset: fi.Size(), Length: length}, nil
}

// WriteBlob appends a chunk to attachment sha at offset: at most
// syncwire.MaxChunk bytes of r, of an attachment of length bytes. A chunk
// that does not start at the received length is an *OffsetError; a whole
// attachment is verified, put in place, and the receipts waiting for it are
// told. Writing to a whole attachment changes nothing.
func (s *Service) WriteBlob(c Caller, sha string, offset, length int64, r io.Reader) (BlobState, error) {
	b, err := s.blobStore()
	if err != nil {
		return BlobState{}, err
	}
	if sha, err = syncwire.ParseSHA256(sha); err != nil {
		return BlobState{}, err
	}
	if length > syncwire.MaxAttachment {
		return BlobState{}, ErrTooLarge
	}
	if length < 1 {
		return BlobState{}, &syncwire.FieldError{Path: syncwire.HeaderLength, Rule: "range", Msg: "an attachment has at least one byte"}
	}
	unlock := b.lock(sha)
	st, err := b.state(sha)
	if err == nil && st.Complete {
		unlock()
		return st, nil
	}
	if err == nil {
		st, err = b.append(sha, st, offset, length, r)
	}
	unlock()
	if err != nil || !st.Complete {
		return st, err
	}
	return st, s.arrived(c, sha)
}

func (b *blobStore) append(sha string, st BlobState, offset, length int64, r io.Reader) (BlobState, error) {
	if st.Length != 0 && st.Length != length || offset != st.Offset {
		return st, &OffsetError{Offset: st.Offset, Length: st.Length}
	}
	if err := os.MkdirAll(filepath.Join(b.dir, "partial"), 0o700); err != nil {
		return st, err
	}
	p := b.partial(sha, length)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return st, err
	}
	want := min(length-offset, syncwire.MaxChunk)
	n, err := io.Copy(f, io.LimitReader(r, want))
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	st = BlobState{Offset: offset + n, Length: length}
	if err != nil {
		return st, err
	}
	if extra, _ := r.Read(make([]byte, 1)); extra > 0 {
		return st, ErrTooLarge // the bytes up to the limit are kept: resume from Offset
	}
	if st.Offset < length {
		return st, nil
	}
	return b.seal(sha, p, st)
}

// seal verifies a whole attachment and puts it in place.
func (b *blobStore) seal(sha, p string, st BlobState) (BlobState, error) {
	f, err := os.Open(p)
	if err != nil {
		return st, err
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return st, err
	}
	if hex.EncodeToString(h.Sum(nil)) != sha {
		if err := os.Remove(p); err != nil {
			return st, err
		}
		return BlobState{}, ErrDigest
	}
	dir := filepath.Dir(b.final(sha))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return st, err
	}
	if err := os.Rename(p, b.final(sha)); err != nil {
		return st, err
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return st, err
		}
	}
	st.Complete = true
	return st, nil
}

// OpenBlob opens a whole attachment for reading.
func (s *Service) OpenBlob(sha string) (*os.File, int64, error) {
	b, err := s.blobStore()
	if err != nil {
		return nil, 0, err
	}
	if sha, err = syncwire.ParseSHA256(sha); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(b.final(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, ErrNotFound
	} else if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// missing lists the attachments of a receipt not yet whole.
func (s *Service) missing(as []orders.Attachment) ([]string, error) {
	shas := make([]string, len(as))
	for i, a := range as {
		shas[i] = a.SHA256
	}
	return s.missingSHAs(shas)
}

// missingSHAs lists the attachments named by shas not yet whole.
func (s *Service) missingSHAs(shas []string) ([]string, error) {
	var out []string
	for _, a := range shas {
		sha, err := syncwire.ParseSHA256(a)
		if err != nil {
			continue // the receipt rules refuse a bad one
		}
		if s.blobs == nil {
			out = append(out, sha)
			continue
		}
		st, err := s.blobs.state(sha)
		if err != nil {
			return nil, err
		}
		if !st.Complete && !slices.Contains(out, sha) {
			out = append(out, sha)
		}
	}
	return out, nil
}

// arrived tells the receipts waiting for attachment sha that it is whole:
// a receipt whose last attachment arrived is complete, and audited so.
func (s *Service) arrived(c Caller, sha string) error {
	now := s.now()
	return s.opt.Store.Update(func(tx store.Tx) error {
		waiting, err := tx.Waiting(sha)
		if err != nil {
			return err
		}
		for _, w := range waiting {
			m, err := tx.Mutation(w[0], w[1])
			if err != nil {
				return err
			}
			m.Missing = slices.DeleteFunc(m.Missing, func(x string) bool { return x == sha })
			if err := tx.PutMutation(m); err != nil {
				return err
			}
			if len(m.Missing) > 0 {
				continue
			}
			action, key := "sync.receipt_complete", m.OrderID
			if m.Kind == syncwire.KindReading {
				action, key = "sync.reading_complete", m.ID
			}
			_, err = tx.AppendAudit(store.AuditEntry{At: now, Actor: c.Account.ID, Role: string(c.Account.Role),
				Device: c.Device, Action: action, Key: key,
				Note: fmt.Sprintf("变更%s的附件已全部到达", m.ID)})
			if err != nil {
				return err
			}
		}
		return nil
	})
}
