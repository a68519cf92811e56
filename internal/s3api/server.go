package s3api

import (
	"io"
	"net/http"
	"time"
)

// Server limits.
const (
	// readHeaderTimeout bounds the time to send request headers, so that a
	// client trickling them in (slowloris) cannot hold a connection.
	readHeaderTimeout = 30 * time.Second
	// maxHeaderBytes bounds request headers. AWS allows 8 KiB of headers
	// (2 KiB of them user metadata); the rest is slack for proxies and
	// long presigned query strings.
	maxHeaderBytes = 64 << 10
	// idleTimeout closes keep-alive connections left unused.
	idleTimeout = 120 * time.Second
)

// NewServer returns an HTTP server for the S3 handler h on addr.
//
// requestTimeout, when positive, is an inactivity limit on request bodies:
// each read of the body must make progress within it. A fixed deadline for
// the whole body would cut off large uploads on slow links; a per-read one
// only drops clients that stopped sending. The handler reports the expiry
// as RequestTimeout.
func NewServer(addr string, h http.Handler, requestTimeout time.Duration) *http.Server {
	if requestTimeout > 0 {
		h = bodyDeadline(h, requestTimeout)
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		IdleTimeout:       idleTimeout,
	}
}

// bodyDeadline wraps h so that every read of a request body must complete
// within d.
func bodyDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, d: d}
		}
		h.ServeHTTP(w, r)
		// Leave no deadline behind for the next request on the connection.
		rc.SetReadDeadline(time.Time{})
	})
}

// deadlineBody extends the connection's read deadline before each read.
type deadlineBody struct {
	io.ReadCloser
	rc *http.ResponseController
	d  time.Duration
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	// An error means the connection cannot take deadlines (HTTP/2 test
	// recorders); reading without one is the best that can be done.
	_ = b.rc.SetReadDeadline(time.Now().Add(b.d))
	return b.ReadCloser.Read(p)
}
