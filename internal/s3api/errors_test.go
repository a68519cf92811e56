package s3api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/anode/anode/internal/s3err"
)

func newTestRequest(method, target string) (*request, *httptest.ResponseRecorder) {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(method, target, nil)
	return &request{r: r, w: &responseWriter{ResponseWriter: rec}, id: newRequestID(), op: "Test"}, rec
}

func quietAPI() *api {
	a := testAPI(false)
	a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return a
}

func TestWriteError(t *testing.T) {
	a := quietAPI()
	tests := []struct {
		method string
		err    error
		status int
		code   string // "" means no body
	}{
		{"GET", s3err.NoSuchKey, 404, "NoSuchKey"},
		{"GET", fmt.Errorf("reading: %w", s3err.BadDigest), 400, "BadDigest"},
		{"PUT", s3err.NotImplemented, 501, "NotImplemented"},
		{"GET", errors.New("disk on fire"), 500, "InternalError"},
		{"PUT", fmt.Errorf("body: %w", os.ErrDeadlineExceeded), 400, "RequestTimeout"},
		{"HEAD", s3err.NoSuchKey, 404, ""},
		{"HEAD", s3err.NoSuchBucket, 404, ""},
		{"GET", s3err.NotModified, 304, ""},
	}
	for _, tt := range tests {
		rq, rec := newTestRequest(tt.method, "/bucket/some%20key")
		a.writeError(rq, tt.err)
		if rec.Code != tt.status {
			t.Errorf("%s %v: status %d, want %d", tt.method, tt.err, rec.Code, tt.status)
		}
		if tt.code == "" {
			if rec.Body.Len() != 0 {
				t.Errorf("%s %v: body %q, want none", tt.method, tt.err, rec.Body)
			}
			continue
		}
		body := rec.Body.String()
		if !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) {
			t.Errorf("body lacks the XML declaration: %q", body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/xml" {
			t.Errorf("Content-Type %q", ct)
		}
		var e errorResponse
		if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if e.Code != tt.code || e.Resource != "/bucket/some key" || e.RequestID != rq.id || e.Message == "" {
			t.Errorf("%s %v: error document %+v", tt.method, tt.err, e)
		}
		if strings.Contains(body, "disk on fire") {
			t.Error("internal error text leaked to the client")
		}
	}
}

func TestRecoverPanic(t *testing.T) {
	a := quietAPI()
	rq, rec := newTestRequest("GET", "/b/k")
	func() {
		defer a.recoverPanic(rq)
		panic("handler bug")
	}()
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "<Code>InternalError</Code>") {
		t.Errorf("after panic: %d %q", rec.Code, rec.Body)
	}

	// http.ErrAbortHandler keeps aborting the connection.
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	rq, _ = newTestRequest("GET", "/b/k")
	func() {
		defer a.recoverPanic(rq)
		panic(http.ErrAbortHandler)
	}()
}

func TestRequestIDsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		if len(id) != 16 || seen[id] {
			t.Fatalf("request ID %q repeated or malformed", id)
		}
		seen[id] = true
	}
}

func TestWriteXMLNamespace(t *testing.T) {
	rec := httptest.NewRecorder()
	writeXML(rec, 200, locationConstraint{NS: s3NS})
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`
	if rec.Body.String() != want {
		t.Errorf("got %q, want %q", rec.Body, want)
	}
	if rec.Header().Get("Content-Length") != fmt.Sprint(len(want)) {
		t.Errorf("Content-Length %q", rec.Header().Get("Content-Length"))
	}
}
