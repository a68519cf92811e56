// Package s3api serves the Amazon S3 REST API over HTTP: it routes requests
// to operations, authenticates them, validates and parses headers, query
// parameters and XML bodies, calls the object service, and renders results
// and errors as S3 does (XML documents, headers, status codes).
//
// The package knows HTTP and S3 wire formats; it knows nothing about how
// objects are stored. Adding an operation is one line in routes.go and one
// handler function.
package s3api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/anode/anode/internal/audit"
	"github.com/anode/anode/internal/auth"
	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/metrics"
	"github.com/anode/anode/internal/notify"
	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// DefaultMaxBodySize is the largest PutObject body accepted when
// Config.MaxBodySize is zero: 5 GiB, the AWS limit for a single PUT.
const DefaultMaxBodySize = 5 << 30

// Config configures the S3 handler.
type Config struct {
	// Objects is the object service the handler calls.
	Objects *object.Service
	// Auth authenticates every request.
	Auth *auth.Verifier
	// IAM, when set, authorizes every request by the requester's policies,
	// the bucket's policy and ACL (authz.go), and lets anonymous requests
	// through to that check. Nil allows every authenticated request and
	// refuses anonymous ones.
	IAM Authorizer
	// Region, when set, is the only location constraint CreateBucket
	// accepts; empty accepts any region (see locationFor).
	Region string
	// Domains are the host names under which virtual-host-style requests
	// (bucket.domain) are recognised, e.g. "localhost", "s3.example.com".
	Domains []string
	// VirtualHost enables virtual-host-style bucket addressing.
	VirtualHost bool
	// MaxBodySize is the largest object body accepted by PutObject
	// (default DefaultMaxBodySize).
	MaxBodySize int64
	// Logger receives operational logs (panics, internal errors); nil
	// means slog.Default().
	Logger *slog.Logger
	// Audit receives one entry per request; nil means no audit log.
	Audit *audit.Logger
	// Notifier knows the event notification targets the operator
	// configured (nil: none).
	Notifier *notify.Notifier
	// AllowSSECOverHTTP accepts SSE-C keys on plain HTTP (s3.allow_ssec_over_http);
	// otherwise, as in AWS, they are refused unless the request came over TLS.
	AllowSSECOverHTTP bool
}

// api is the S3 HTTP handler.
type api struct {
	objects           *object.Service
	auth              *auth.Verifier
	iam               Authorizer
	region            string
	domains           []string
	virtualHost       bool
	maxBodySize       int64
	allowSSECOverHTTP bool
	log               *slog.Logger
	audit             *audit.Logger
	// hostID is this process's random token, mixed into x-amz-id-2.
	hostID   []byte
	notifier *notify.Notifier
}

// NewHandler returns the S3 API handler. It must be served as the root
// handler: the request path is the bucket and key, and it must reach the
// handler uncleaned (no http.ServeMux in front of it).
func NewHandler(cfg Config) http.Handler {
	a := &api{
		objects:           cfg.Objects,
		auth:              cfg.Auth,
		iam:               cfg.IAM,
		region:            cfg.Region,
		virtualHost:       cfg.VirtualHost,
		maxBodySize:       cfg.MaxBodySize,
		allowSSECOverHTTP: cfg.AllowSSECOverHTTP,
		log:               cfg.Logger,
		audit:             cfg.Audit,
		hostID:            make([]byte, 12),
		notifier:          cfg.Notifier,
	}
	if a.maxBodySize <= 0 {
		a.maxBodySize = DefaultMaxBodySize
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	for _, d := range cfg.Domains {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			a.domains = append(a.domains, d)
		}
	}
	rand.Read(a.hostID)
	return a
}

// request is one S3 request being served.
type request struct {
	r      *http.Request
	w      *responseWriter
	id     string
	route  *route
	op     string
	bucket string
	key    string
	// auth is the authentication result; body is its payload, counted.
	auth *auth.Result
	body *countingReader
	// sse is what the encryption headers ask for (sse.go).
	sse *sseRequest
	// identity is who sent the request (nil without IAM); decision is the
	// last authorization decision taken for it (authz.go).
	identity *iam.Identity
	decision iam.Decision
	decided  bool
	// err is the error the request was answered with, if any.
	err error
}

// ctx returns the request's context.
func (rq *request) ctx() context.Context { return rq.r.Context() }

// query returns the query parameter name.
func (rq *request) query(name string) string { return rq.r.URL.Query().Get(name) }

// ServeHTTP serves one S3 request: it names it, authenticates it, runs its
// handler, and records metrics and the audit line.
func (a *api) ServeHTTP(hw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rq := &request{r: r, w: &responseWriter{ResponseWriter: hw}, id: newRequestID()}
	rq.op = "Unknown"

	h := rq.w.Header()
	h.Set("x-amz-request-id", rq.id)
	h.Set("x-amz-id-2", a.hostToken(rq.id))
	h.Set("Server", "Anode")
	h.Set("Date", start.UTC().Format(http.TimeFormat))

	defer func() {
		if rq.auth != nil && rq.auth.Body != nil {
			rq.auth.Body.Close()
		}
		a.finish(rq, start)
	}()
	defer a.recoverPanic(rq)

	if err := a.serve(rq); err != nil {
		rq.err = err
		a.writeError(rq, err)
	}
}

// serve resolves and runs the request's operation.
func (a *api) serve(rq *request) error {
	bucket, key, err := a.bucketAndKey(rq.r)
	rq.bucket, rq.key = bucket, key
	rq.route = match(rq.r, bucket != "", key != "")
	if rq.route != nil {
		rq.op = rq.route.op
	}
	// A browser's CORS preflight carries no credentials (cors.go).
	if rq.r.Method == http.MethodOptions && bucket != "" && err == nil {
		return a.preflightCORS(rq)
	}
	// Authenticate before anything else so that an unsigned or badly
	// signed request learns nothing, not even whether its path is valid.
	if b := a.virtualBucket(rq.r.Host); b != "" {
		rq.r = auth.WithVirtualHostBucket(rq.r, b)
	}
	if aerr := a.authenticate(rq); aerr != nil {
		return a.anonymousError(rq, aerr)
	}
	anonymous := rq.identity != nil && rq.identity.Anonymous
	continueEmptyBody(rq)
	rq.body = &countingReader{r: rq.auth.Body}
	if rq.auth.Body == nil {
		rq.body.r = http.NoBody
	}
	if err == nil && bucket != "" {
		err = checkBucketName(bucket)
	}
	if err == nil && rq.r.Header.Get("x-amz-copy-source") != "" && rq.r.Method != http.MethodPut {
		// Only a PUT copies; elsewhere the header would be ignored, and AWS
		// refuses it (versity/versitygw#1612).
		err = errCopySourceNotAllowed
	}
	if err == nil && rq.route == nil {
		// AWS names a missing bucket before it refuses the operation.
		if bucket != "" {
			_, err = a.objects.HeadBucket(rq.ctx(), bucket)
		}
		if err == nil {
			err = s3err.NotImplemented
		}
	}
	if err != nil {
		if anonymous {
			// An anonymous request learns nothing about what it asked
			// (but that a bucket does not exist, as on AWS).
			return a.anonymousError(rq, errAccessDenied)
		}
		return err
	}
	if err := a.guardSnapshot(rq); err != nil {
		return err
	}
	if err := a.authorize(rq); err != nil {
		if anonymous {
			return a.anonymousError(rq, err)
		}
		return err
	}
	if err := checkWriteACL(rq); err != nil {
		return err
	}
	if rq.sse, err = a.parseSSE(rq); err != nil {
		return err
	}
	a.corsHeaders(rq)
	a.withObjectContext(rq)
	return rq.route.fn(a, rq)
}

// anonymousError is the answer to a request that carries no credentials
// at all. Bucket names are public (they are DNS names on AWS), so AWS
// answers NoSuchBucket for a bucket that does not exist, and AccessDenied
// for everything else: whether a key exists is not revealed.
func (a *api) anonymousError(rq *request, err error) error {
	if !auth.IsAnonymous(rq.r) || rq.bucket == "" || checkBucketName(rq.bucket) != nil {
		return err
	}
	if _, herr := a.objects.HeadBucket(rq.ctx(), rq.bucket); errors.Is(herr, s3err.NoSuchBucket) {
		return s3err.NoSuchBucket
	}
	return err
}

// continueEmptyBody answers "100 Continue" to an authenticated request
// that expects it and announces an empty body. net/http sends it only
// when the handler first reads a non-empty body, but botocore waits for
// it (or a final answer) after every PUT with Expect: 100-continue, and a
// zero-byte PUT then leaves its pooled connection confused: the next
// request stalls 60 s (boto/botocore#3755). AWS sends it in every case.
func continueEmptyBody(rq *request) {
	if rq.r.ContentLength == 0 && strings.EqualFold(rq.r.Header.Get("Expect"), "100-continue") && rq.r.ProtoAtLeast(1, 1) {
		rq.w.ResponseWriter.WriteHeader(http.StatusContinue)
	}
}

// recoverPanic turns a handler panic into InternalError so that one bad
// request never takes the server down. http.ErrAbortHandler keeps its
// meaning (abort the connection silently).
func (a *api) recoverPanic(rq *request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	a.log.Error("s3 handler panic", "op", rq.op, "request_id", rq.id,
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if !rq.w.wroteHeader {
		a.writeError(rq, s3err.InternalError)
	}
}

// finish records the request's metrics and audit line.
func (a *api) finish(rq *request, start time.Time) {
	d := time.Since(start)
	status := rq.w.status
	if status == 0 {
		status = http.StatusOK
	}
	var in int64
	if rq.body != nil {
		in = rq.body.n
	}
	metrics.Requests.WithLabelValues(rq.op, strconv.Itoa(status)).Inc()
	metrics.RequestDuration.WithLabelValues(rq.op).Observe(d.Seconds())
	metrics.BytesIn.Add(float64(in))
	metrics.BytesOut.Add(float64(rq.w.n))
	if a.audit == nil {
		return
	}
	e := audit.Entry{
		Time: start.UTC(), Kind: "s3", RequestID: rq.id, SourceIP: remoteIP(rq.r),
		UserAgent: rq.r.UserAgent(), Operation: rq.op, Bucket: rq.bucket, Key: rq.key,
		VersionID: rq.w.Header().Get("x-amz-version-id"), Status: status,
		BytesIn: in, BytesOut: rq.w.n, DurationMS: float64(d.Microseconds()) / 1000,
	}
	if e.VersionID == "" {
		e.VersionID = rq.query("versionId")
	}
	if rq.auth != nil {
		e.AccessKey = rq.auth.AccessKey
	}
	if id := rq.identity; id != nil {
		switch {
		case id.Root:
			e.Principal, e.Decision = "root", "root"
		case id.Anonymous:
			e.Principal = "anonymous"
		default:
			e.Principal = id.User
		}
	} else if rq.auth != nil {
		// No IAM (a handler built with static credentials).
		e.Principal = e.AccessKey
	}
	if rq.decided {
		switch rq.decision.Effect {
		case iam.Allow:
			e.Decision = "allow"
		case iam.Deny:
			e.Decision = "deny"
		default:
			e.Decision = "implicit-deny"
		}
		e.Statement = rq.decision.Statement()
	}
	if rq.err != nil {
		e.Error = s3err.As(rq.err).Code
	}
	a.audit.Log(e)
}

// remoteIP returns the TCP peer's address without the port.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// newRequestID returns a unique request ID in the style of AWS (16
// upper-case hex digits). 64 random bits make collisions negligible
// without coordination between nodes.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// hostToken returns the x-amz-id-2 value: an opaque token naming this
// process and the request, as AWS's extended request ID does.
func (a *api) hostToken(id string) string {
	return base64.StdEncoding.EncodeToString(append(append([]byte{}, a.hostID...), id...))
}

// responseWriter records the status and counts the body bytes written.
type responseWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	n           int64
}

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
