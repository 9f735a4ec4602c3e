package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"meter-sync/protocol/syncwire"
)

func (c *Client) upload(ctx context.Context, r *Report) error {
	blobs, err := c.st.Blobs()
	if err != nil {
		return err
	}
	for _, b := range blobs {
		if err := c.uploadOne(ctx, b); err != nil {
			return fmt.Errorf("client: attachment %s: %w", b.SHA256, err)
		}
		r.Uploaded++
	}
	return nil
}

// uploadOne sends one attachment in chunks. A first upload starts at 0;
// any other asks the server how much it has and goes on from there, so a
// dropped connection costs at most the chunk that was in flight.
func (c *Client) uploadOne(ctx context.Context, b Blob) error {
	data, err := c.st.BlobData(b.SHA256)
	if err != nil {
		return err
	}
	if int64(len(data)) != b.Size || SHA256(data) != b.SHA256 {
		return errors.New("the bytes held do not match the attachment's SHA-256")
	}
	if !b.Tried {
		b.Tried = true
		if err := c.st.Apply(Batch{PutBlobs: []Blob{b}}); err != nil {
			return err
		}
	}
	fresh := true // a first upload knows the server has nothing
	var offset int64
	done := false
	err = c.retry(ctx, "upload", func() error {
		if !fresh {
			st, err := c.blobState(ctx, b.SHA256)
			if err != nil {
				return err
			}
			if offset, done = st.Offset, st.Complete; done {
				return nil
			}
		}
		fresh = false
		for !done {
			end := min(offset+int64(c.opt.ChunkSize), b.Size)
			next, complete, err := c.patch(ctx, b, offset, data[offset:end])
			if err != nil {
				return err
			}
			offset, done = next, complete
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.Done = true
	return c.blobDone(b)
}

// blobState is GET /api/v1/sync/blobs/{sha}/state.
type blobState struct {
	Offset   int64 `json:"offset"`
	Length   int64 `json:"length"`
	Complete bool  `json:"complete"`
}

func (c *Client) blobState(ctx context.Context, sha string) (blobState, error) {
	var st blobState
	a, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/sync/blobs/" + sha + "/state"})
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(a.body, &st)
}

// patch sends one chunk at offset and returns the server's received
// length after it. A 409 says where the server is; going on from there is
// not a failure.
func (c *Client) patch(ctx context.Context, b Blob, offset int64, chunk []byte) (int64, bool, error) {
	h := http.Header{"Content-Type": {syncwire.ContentChunk}}
	h.Set(syncwire.HeaderOffset, strconv.FormatInt(offset, 10))
	h.Set(syncwire.HeaderLength, strconv.FormatInt(b.Size, 10))
	c.stats.chunkBytes.Add(int64(len(chunk)))
	a, err := c.do(ctx, request{method: http.MethodPatch, path: "/api/v1/sync/blobs/" + b.SHA256, header: h, body: chunk})
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict && a.header.Get(syncwire.HeaderOffset) != "" {
		err = nil
	}
	if err != nil {
		return offset, false, err
	}
	next, perr := strconv.ParseInt(a.header.Get(syncwire.HeaderOffset), 10, 64)
	if perr != nil || next < 0 || next > b.Size {
		return offset, false, fmt.Errorf("the server's %s %q is not an offset", syncwire.HeaderOffset, a.header.Get(syncwire.HeaderOffset))
	}
	return next, a.header.Get(syncwire.HeaderDone) == "true", nil
}

// blobDone records an attachment as whole on the server and takes it off
// the missing lists of the mutations that wait for it.
func (c *Client) blobDone(b Blob) error {
	all, err := c.st.Mutations()
	if err != nil {
		return err
	}
	batch := Batch{PutBlobs: []Blob{b}}
	for _, m := range all {
		if slices.Contains(m.Missing, b.SHA256) {
			m.Missing = slices.DeleteFunc(slices.Clone(m.Missing), func(s string) bool { return s == b.SHA256 })
			batch.Mutations = append(batch.Mutations, m)
		}
	}
	return c.st.Apply(batch)
}
