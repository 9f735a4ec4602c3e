package client

// Status is what a tablet shows of its sync: what waits to be sent, and
// every decision the technician must see.
type Status struct {
	Meta
	Orders int // orders held in scope
	// Held are orders that left the technician's scope, kept until the
	// pending work for them has its result.
	Held []Order
	// Pending are mutations not yet decided by the server.
	Pending []Mutation
	// Rejected and Conflicts are decisions the technician must see: the
	// problems, or the server's version of the order.
	Rejected, Conflicts []Mutation
	// Applied counts the mutations the server applied.
	Applied int
	// Incomplete are applied mutations whose attachments the server does
	// not have whole yet.
	Incomplete int
	// Blobs and BlobBytes are the attachments waiting for upload.
	Blobs     int
	BlobBytes int64
}

// Status reads the tablet's sync status from its Store.
func (c *Client) Status() (Status, error) {
	st := c.st
	var s Status
	var err error
	if s.Meta, err = st.Meta(); err != nil {
		return s, err
	}
	orders, err := st.Orders()
	if err != nil {
		return s, err
	}
	for _, o := range orders {
		if o.Removed != "" {
			s.Held = append(s.Held, o)
		} else {
			s.Orders++
		}
	}
	muts, err := st.Mutations()
	if err != nil {
		return s, err
	}
	for _, m := range muts {
		switch m.State {
		case StatePending:
			s.Pending = append(s.Pending, m)
		case StateRejected:
			s.Rejected = append(s.Rejected, m)
		case StateConflict:
			s.Conflicts = append(s.Conflicts, m)
		case StateApplied:
			s.Applied++
			if len(m.Missing) > 0 {
				s.Incomplete++
			}
		}
	}
	blobs, err := st.Blobs()
	if err != nil {
		return s, err
	}
	for _, b := range blobs {
		s.Blobs++
		s.BlobBytes += b.Size
	}
	return s, nil
}
