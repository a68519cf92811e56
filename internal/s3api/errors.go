package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"os"

	"github.com/anode/anode/internal/s3err"
)

// Errors S3 answers that only the HTTP layer produces.
var (
	errInvalidURI = &s3err.Error{Code: "InvalidURI", Status: http.StatusBadRequest,
		Message: "Couldn't parse the specified URI."}
	errIllegalLocationConstraint = &s3err.Error{Code: "IllegalLocationConstraintException",
		Status:  http.StatusBadRequest,
		Message: "The location constraint is incompatible for the region specific endpoint this request was sent to."}
	errCopySourceNotAllowed = s3err.InvalidArgument.WithMessage("x-amz-copy-source is only allowed on a PUT (CopyObject, UploadPartCopy).").
				WithField("ArgumentName", "x-amz-copy-source")
	errCopyToItself = s3err.InvalidRequest.WithMessage("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
)

// errorResponse is the S3 XML error document.
type errorResponse struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
	// Extra are the error's own elements (s3err.Error.Fields).
	Extra []extraElement `xml:",any"`
}

type extraElement struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// toS3Error maps any error to the S3 error a client sees. Errors that are
// not S3 errors are internal: their text is logged, not shown.
func (a *api) toS3Error(rq *request, err error) *s3err.Error {
	var e *s3err.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The per-read body deadline (see NewServer) expired.
		return s3err.RequestTimeout
	case errors.Is(err, context.Canceled):
		// The client went away; it will not read the answer anyway.
		return s3err.RequestTimeout
	}
	a.log.Error("s3 internal error", "op", rq.op, "bucket", rq.bucket, "key", rq.key,
		"request_id", rq.id, "err", err)
	return s3err.InternalError
}

// writeError answers the request with err as an S3 error. HEAD answers and
// 304 carry no body, only the status and the common headers.
func (a *api) writeError(rq *request, err error) {
	e := a.toS3Error(rq, err)
	if rq.w.wroteHeader {
		// Too late for an error document (a GET body was being streamed):
		// abort the connection so the client sees a truncated response
		// instead of a complete-looking one.
		a.log.Warn("s3 error after response started", "op", rq.op, "request_id", rq.id, "err", err)
		panic(http.ErrAbortHandler)
	}
	if e.Status == http.StatusNotModified || rq.r.Method == http.MethodHead {
		rq.w.WriteHeader(e.Status)
		return
	}
	doc := errorResponse{
		Code:      e.Code,
		Message:   e.Message,
		Resource:  rq.r.URL.Path,
		RequestID: rq.id,
		HostID:    rq.w.Header().Get("x-amz-id-2"),
	}
	for _, f := range e.Fields {
		doc.Extra = append(doc.Extra, extraElement{XMLName: xml.Name{Local: f.Name}, Value: f.Value})
	}
	writeXML(rq.w, e.Status, doc)
}
