package s3api

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
	"github.com/anode/anode/internal/s3select"
)

// maxSelectBody bounds the SelectObjectContent request document read into
// memory; s3select.ParseRequest rejects anything over its own, smaller,
// limit with the error code AWS uses.
const maxSelectBody = 2 << 20

// PushdownHeader, set to "off", runs a SelectObjectContent request without
// predicate pushdown and column pruning, so that a benchmark can measure
// what they save against the same server. It can only make a query read
// more, like a plain GET of the object, so it needs no permission of its
// own; it cannot turn on what the configuration turned off.
const PushdownHeader = "x-anode-select-pushdown"

// selectObjectContent serves SelectObjectContent
// (POST /bucket/key?select&select-type=2). Errors found before the first
// event (a bad request document, a missing object, an unreadable Parquet
// footer) are S3 XML errors; after that the engine reports them as error
// events in the stream.
func (a *api) selectObjectContent(rq *request) error {
	if rq.query("select-type") != "2" {
		return s3err.InvalidArgument.WithMessage("select-type must be 2")
	}
	data, err := io.ReadAll(io.LimitReader(rq.body, maxSelectBody+1))
	if err != nil {
		return err
	}
	if err := a.verifyBodyDigests(rq, data); err != nil {
		return err
	}
	req, err := s3select.ParseRequest(bytes.NewReader(data))
	if err != nil {
		return err
	}
	in := object.SelectInput{
		Bucket: rq.bucket, Key: rq.key, VersionID: rq.query("versionId"), Request: req,
		CustomerKey: rq.sse.customerKey,
	}
	if strings.EqualFold(rq.r.Header.Get(PushdownHeader), "off") {
		in.NoPushdown, in.NoPruning = true, true
	}
	// The engine returns an error only before its first event; should one
	// come later, writeError cuts the connection (no End event).
	w := &eventStreamWriter{w: rq.w, rc: http.NewResponseController(rq.w)}
	_, err = a.objects.SelectObjectContent(rq.ctx(), in, w)
	return err
}

// eventStreamWriter sends the 200 status and the event-stream content type
// with the first event, so that an error found before any event can still
// be an S3 XML error, and flushes each event to the client as it is
// written (s3select flushes writers that are http.Flushers).
type eventStreamWriter struct {
	w       *responseWriter
	rc      *http.ResponseController
	started bool
}

func (e *eventStreamWriter) Write(p []byte) (int, error) {
	if !e.started {
		e.started = true
		e.w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		e.w.WriteHeader(http.StatusOK)
	}
	return e.w.Write(p)
}

// Flush sends what was written so far to the client.
func (e *eventStreamWriter) Flush() { _ = e.rc.Flush() }
