// Package console serves the embedded web console under /console/ on the
// admin port: plain HTML, CSS and JavaScript (go:embed, no build step) and
// a small JSON API behind a session cookie. The console's object actions
// are S3 requests it signs with the logged-in user's key and runs through
// the S3 handler in process (s3.go), so they get the S3 API's
// authorization. See docs/console.md.
package console

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/anode/anode/internal/auth"
)

//go:embed static
var static embed.FS

// Config configures the console.
type Config struct {
	// LookupSecret returns the secret of an active access key (the root
	// user's or an IAM user's): the same lookup SigV4 verification uses
	// (iam.Store.LookupSecret).
	LookupSecret func(ctx context.Context, accessKey string) (string, error)
	// RootAccessKey names the root user.
	RootAccessKey string
	// S3 is the S3 API handler the console's object actions go through.
	S3 http.Handler
	// Admin is the admin API handler the users and cluster pages go
	// through (it admits the root user only).
	Admin http.Handler
	// S3Host is the Host header of those in-process requests (the S3
	// listener's address).
	S3Host string
	// S3URL returns the S3 endpoint's base URL as the browser's user can
	// reach it, for share links (r is the console request).
	S3URL func(r *http.Request) string
	// Region is the region requests are signed for ("" means us-east-1).
	Region string
	// IdleTimeout ends a session unused this long (default 30 minutes);
	// Lifetime ends any session this long after login (default 12 hours).
	IdleTimeout, Lifetime time.Duration
	// Now returns the current time (nil: time.Now); tests move it.
	Now func() time.Time
}

func (cfg *Config) now() time.Time {
	if cfg.Now != nil {
		return cfg.Now()
	}
	return time.Now()
}

// Limits.
const (
	maxJSONBody     = 8 << 10 // login, create bucket, share
	maxSessions     = 10000
	loginFailures   = 10 // failed logins per source IP per minute
	loginWindow     = time.Minute
	maxShareExpiry  = auth.MaxPresignExpiry
	defaultIdle     = 30 * time.Minute
	defaultLifetime = 12 * time.Hour
	cookieName      = "anode_console"
	csrfHeader      = "X-Anode-Csrf"
	listPageSize    = 200
)

// Console is the console's HTTP handler.
type Console struct {
	cfg      Config
	sessions *sessions
	limiter  *loginLimiter
	mux      *http.ServeMux
}

// New returns the console handler; mount it at /console/.
func New(cfg Config) *Console {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = defaultIdle
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = defaultLifetime
	}
	c := &Console{cfg: cfg}
	c.sessions = newSessions(cfg.IdleTimeout, cfg.Lifetime, maxSessions, cfg.now)
	c.limiter = &loginLimiter{byIP: map[string]*failures{}, max: loginFailures, window: loginWindow, maxIPs: 10000, now: cfg.now}

	files, _ := fs.Sub(static, "static")
	fileServer := http.StripPrefix("/console/", http.FileServerFS(files))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusFound)
	})
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, &apiError{status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed", Message: "the console's pages are read with GET"})
			return
		}
		fileServer.ServeHTTP(w, r)
	})
	mux.HandleFunc("POST /console/api/login", c.login)
	mux.HandleFunc("POST /console/api/logout", c.withSession(c.logout))
	mux.HandleFunc("GET /console/api/session", c.withSession(c.sessionInfo))
	mux.HandleFunc("GET /console/api/buckets", c.withSession(c.listBuckets))
	mux.HandleFunc("POST /console/api/buckets", c.withSession(c.createBucket))
	mux.HandleFunc("DELETE /console/api/buckets/{bucket}", c.withSession(c.deleteBucket))
	mux.HandleFunc("GET /console/api/buckets/{bucket}/objects", c.withSession(c.listObjects))
	mux.HandleFunc("PUT /console/api/buckets/{bucket}/object", c.withSession(c.upload))
	mux.HandleFunc("GET /console/api/buckets/{bucket}/object", c.withSession(c.download))
	mux.HandleFunc("DELETE /console/api/buckets/{bucket}/object", c.withSession(c.deleteObject))
	mux.HandleFunc("POST /console/api/buckets/{bucket}/share", c.withSession(c.share))
	mux.HandleFunc("GET /console/api/cluster", c.withSession(c.adminCall("GET", "/cluster/status")))
	mux.HandleFunc("GET /console/api/users", c.withSession(c.adminCall("GET", "/admin/users")))
	mux.HandleFunc("POST /console/api/users", c.withSession(c.adminCall("POST", "/admin/users")))
	mux.HandleFunc("POST /console/api/users/{name}/keys", c.withSession(c.adminCall("POST", "/admin/users/{name}/keys")))
	mux.HandleFunc("/console/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, Code: "NotFound", Message: "no such console API call"})
	})
	c.mux = mux
	return c
}

// ServeHTTP sets the security headers every console answer carries.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

// apiError is the console API's error answer.
type apiError struct {
	status  int
	Code    string `json:"code"`
	Message string `json:"error"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(e)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func internalError(w http.ResponseWriter, err error) {
	writeError(w, &apiError{status: http.StatusInternalServerError, Code: "InternalError", Message: err.Error()})
}

// sameOrigin refuses a state-changing request that a browser says comes
// from another site: Sec-Fetch-Site other than same-origin, or an Origin
// that is not this console's.
func sameOrigin(r *http.Request) *apiError {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return &apiError{status: http.StatusForbidden, Code: "CrossSiteRequest", Message: "Sec-Fetch-Site is " + site + ": the console answers only its own pages"}
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		if origin != scheme+"://"+r.Host {
			return &apiError{status: http.StatusForbidden, Code: "CrossSiteRequest", Message: "Origin " + origin + " is not this console's"}
		}
	}
	return nil
}

func stateChanging(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// withSession wraps h: the request needs a live session cookie and, when
// it changes anything, a same-origin source and the session's CSRF token
// in the X-Anode-Csrf header.
func (c *Console) withSession(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cookie, err := r.Cookie(cookieName)
		var sess *session
		if err == nil {
			sess = c.sessions.get(cookie.Value)
		}
		if sess == nil {
			writeError(w, &apiError{status: http.StatusUnauthorized, Code: "NotLoggedIn", Message: "log in first (no session, or it expired)"})
			return
		}
		if stateChanging(r.Method) {
			if e := sameOrigin(r); e != nil {
				writeError(w, e)
				return
			}
			if !equalTokens(r.Header.Get(csrfHeader), sess.csrf) {
				writeError(w, &apiError{status: http.StatusForbidden, Code: "BadCsrfToken", Message: "missing or wrong " + csrfHeader + " header"})
				return
			}
		}
		h(w, r, sess)
	}
}

// readJSON decodes a bounded JSON body with no unknown fields.
func readJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &apiError{status: http.StatusBadRequest, Code: "InvalidInput", Message: "body: " + err.Error()}
	}
	if dec.More() {
		return &apiError{status: http.StatusBadRequest, Code: "InvalidInput", Message: "body: trailing data"}
	}
	return nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type sessionAnswer struct {
	AccessKey string `json:"accessKey"`
	Root      bool   `json:"root"`
	CSRF      string `json:"csrf"`
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if e := sameOrigin(r); e != nil {
		writeError(w, e)
		return
	}
	ip := clientIP(r)
	if !c.limiter.allowed(ip) {
		writeError(w, &apiError{status: http.StatusTooManyRequests, Code: "TooManyFailedLogins", Message: "too many failed logins from this address; wait a minute"})
		return
	}
	var in struct {
		AccessKey string `json:"accessKey"`
		SecretKey string `json:"secretKey"`
	}
	if e := readJSON(w, r, &in); e != nil {
		writeError(w, e)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	secret, err := c.cfg.LookupSecret(ctx, in.AccessKey)
	if err != nil && !errors.Is(err, auth.ErrUnknownAccessKey) {
		writeError(w, &apiError{status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "cannot check the key now: " + err.Error()})
		return
	}
	if err != nil || in.SecretKey == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(in.SecretKey)) != 1 {
		c.limiter.failed(ip)
		writeError(w, &apiError{status: http.StatusUnauthorized, Code: "InvalidCredentials", Message: "wrong access key or secret"})
		return
	}
	sess := c.sessions.create(in.AccessKey, secret, in.AccessKey == c.cfg.RootAccessKey)
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: sess.id, Path: "/console/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	writeJSON(w, sessionAnswer{AccessKey: sess.accessKey, Root: sess.root, CSRF: sess.csrf})
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, sess *session) {
	c.sessions.delete(sess.id)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/console/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	writeJSON(w, map[string]bool{"ok": true})
}

// sessionInfo lets a reloaded page pick up its session (and CSRF token):
// a GET readable only by same-origin scripts.
func (c *Console) sessionInfo(w http.ResponseWriter, r *http.Request, sess *session) {
	writeJSON(w, sessionAnswer{AccessKey: sess.accessKey, Root: sess.root, CSRF: sess.csrf})
}

// s3Call runs one in-process S3 request and writes its error, if any;
// it returns nil when the caller has already answered.
func (c *Console) s3Call(w http.ResponseWriter, r *http.Request, sess *session, method, path string, query url.Values, body io.Reader, length int64) *s3Result {
	res, err := c.do(r, sess, method, path, query, body, length)
	if err != nil {
		internalError(w, err)
		return nil
	}
	if e := res.err(); e != nil {
		writeError(w, e)
		return nil
	}
	return res
}

func (c *Console) listBuckets(w http.ResponseWriter, r *http.Request, sess *session) {
	res := c.s3Call(w, r, sess, http.MethodGet, "/", url.Values{}, nil, 0)
	if res == nil {
		return
	}
	var out struct {
		Buckets []struct {
			Name         string `xml:"Name" json:"name"`
			CreationDate string `xml:"CreationDate" json:"created"`
		} `xml:"Buckets>Bucket"`
	}
	if err := xml.Unmarshal(res.body, &out); err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, map[string]any{"buckets": out.Buckets})
}

func (c *Console) createBucket(w http.ResponseWriter, r *http.Request, sess *session) {
	var in struct {
		Name string `json:"name"`
	}
	if e := readJSON(w, r, &in); e != nil {
		writeError(w, e)
		return
	}
	if in.Name == "" || strings.Contains(in.Name, "/") {
		writeError(w, &apiError{status: http.StatusBadRequest, Code: "InvalidBucketName", Message: "bucket name must be non-empty, without '/'"})
		return
	}
	if c.s3Call(w, r, sess, http.MethodPut, "/"+s3Escape(in.Name), url.Values{}, nil, 0) == nil {
		return
	}
	writeJSON(w, map[string]string{"name": in.Name})
}

func (c *Console) deleteBucket(w http.ResponseWriter, r *http.Request, sess *session) {
	if c.s3Call(w, r, sess, http.MethodDelete, "/"+s3Escape(r.PathValue("bucket")), url.Values{}, nil, 0) == nil {
		return
	}
	writeJSON(w, map[string]bool{"ok": true})
}

// listObjects lists one "folder" of a bucket: ListObjectsV2 with the
// delimiter "/", one page of at most listPageSize entries.
func (c *Console) listObjects(w http.ResponseWriter, r *http.Request, sess *session) {
	q := url.Values{"list-type": {"2"}, "delimiter": {"/"}, "max-keys": {strconv.Itoa(listPageSize)}}
	if p := r.URL.Query().Get("prefix"); p != "" {
		q.Set("prefix", p)
	}
	if t := r.URL.Query().Get("token"); t != "" {
		q.Set("continuation-token", t)
	}
	res := c.s3Call(w, r, sess, http.MethodGet, "/"+s3Escape(r.PathValue("bucket")), q, nil, 0)
	if res == nil {
		return
	}
	var out struct {
		Prefixes []string `xml:"CommonPrefixes>Prefix"`
		Contents []struct {
			Key          string `xml:"Key" json:"key"`
			Size         int64  `xml:"Size" json:"size"`
			LastModified string `xml:"LastModified" json:"lastModified"`
			ETag         string `xml:"ETag" json:"etag"`
		} `xml:"Contents"`
		NextToken string `xml:"NextContinuationToken"`
	}
	if err := xml.Unmarshal(res.body, &out); err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, map[string]any{"folders": out.Prefixes, "objects": out.Contents, "nextToken": out.NextToken})
}

func objectKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	key := r.URL.Query().Get("key")
	if key == "" {
		writeError(w, &apiError{status: http.StatusBadRequest, Code: "InvalidInput", Message: "the key parameter is required"})
		return "", false
	}
	return key, true
}

func objectPath(bucket, key string) string { return "/" + s3Escape(bucket) + "/" + s3Escape(key) }

// upload streams the request body into a PutObject (the S3 handler bounds
// its size by s3.max_body_size).
func (c *Console) upload(w http.ResponseWriter, r *http.Request, sess *session) {
	key, ok := objectKey(w, r)
	if !ok {
		return
	}
	if r.ContentLength < 0 {
		writeError(w, &apiError{status: http.StatusLengthRequired, Code: "MissingContentLength", Message: "an upload needs Content-Length"})
		return
	}
	req, err := c.s3Request(r, sess, http.MethodPut, objectPath(r.PathValue("bucket"), key), url.Values{}, r.Body, r.ContentLength)
	if err != nil {
		internalError(w, err)
		return
	}
	rec := &boundedRecorder{header: http.Header{}, max: 1 << 20}
	c.cfg.S3.ServeHTTP(rec, req)
	res := &s3Result{status: rec.status, header: rec.header, body: rec.buf.Bytes()}
	if res.status == 0 {
		res.status = http.StatusOK
	}
	if e := res.err(); e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, map[string]string{"key": key, "etag": res.header.Get("ETag")})
}

// download streams GetObject to the browser as an attachment.
func (c *Console) download(w http.ResponseWriter, r *http.Request, sess *session) {
	key, ok := objectKey(w, r)
	if !ok {
		return
	}
	req, err := c.s3Request(r, sess, http.MethodGet, objectPath(r.PathValue("bucket"), key), url.Values{}, nil, 0)
	if err != nil {
		internalError(w, err)
		return
	}
	d := &downloadWriter{w: w, name: path.Base(key)}
	c.cfg.S3.ServeHTTP(d, req)
	d.finish()
}

// downloadWriter passes a successful GetObject through with safe headers
// (always application/octet-stream, as an attachment: an object's own
// Content-Type never makes the console's origin render it), and turns an
// S3 error into the console's JSON error.
type downloadWriter struct {
	w       http.ResponseWriter
	name    string
	header  http.Header
	status  int
	errBody []byte
}

func (d *downloadWriter) Header() http.Header {
	if d.header == nil {
		d.header = http.Header{}
	}
	return d.header
}

func (d *downloadWriter) WriteHeader(status int) {
	if d.status != 0 {
		return
	}
	d.status = status
	if status != http.StatusOK {
		return
	}
	h := d.w.Header()
	for _, k := range []string{"Content-Length", "ETag", "Last-Modified"} {
		if v := d.Header().Get(k); v != "" {
			h.Set(k, v)
		}
	}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(d.name))
	d.w.WriteHeader(http.StatusOK)
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.WriteHeader(http.StatusOK)
	}
	if d.status == http.StatusOK {
		return d.w.Write(p)
	}
	if len(d.errBody)+len(p) > 64<<10 {
		return 0, errors.New("console: error answer too large")
	}
	d.errBody = append(d.errBody, p...)
	return len(p), nil
}

// finish writes a buffered error (called by download after ServeHTTP).
func (d *downloadWriter) finish() {
	if d.status == 0 || d.status == http.StatusOK {
		return
	}
	writeError(d.w, (&s3Result{status: d.status, body: d.errBody}).err())
}

func (c *Console) deleteObject(w http.ResponseWriter, r *http.Request, sess *session) {
	key, ok := objectKey(w, r)
	if !ok {
		return
	}
	if c.s3Call(w, r, sess, http.MethodDelete, objectPath(r.PathValue("bucket"), key), url.Values{}, nil, 0) == nil {
		return
	}
	writeJSON(w, map[string]bool{"ok": true})
}

// share answers a presigned GET URL for an object, signed with the
// user's key, valid for the seconds asked (1 s to 7 days). The console
// first checks with a HEAD that the user may read the object, so that it
// does not hand out a link that can only fail.
func (c *Console) share(w http.ResponseWriter, r *http.Request, sess *session) {
	var in struct {
		Key     string `json:"key"`
		Seconds int64  `json:"seconds"`
	}
	if e := readJSON(w, r, &in); e != nil {
		writeError(w, e)
		return
	}
	expiry := time.Duration(in.Seconds) * time.Second
	if in.Key == "" || in.Seconds < 1 || expiry > maxShareExpiry {
		writeError(w, &apiError{status: http.StatusBadRequest, Code: "InvalidInput", Message: "key is required and seconds must be 1 to 604800"})
		return
	}
	bucket := r.PathValue("bucket")
	if c.s3Call(w, r, sess, http.MethodHead, objectPath(bucket, in.Key), url.Values{}, nil, 0) == nil {
		return
	}
	link, err := c.presign(r.Context(), sess, c.cfg.S3URL(r), bucket, in.Key, expiry)
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, map[string]any{"url": link, "expires": c.cfg.now().Add(expiry).UTC().Format(time.RFC3339)})
}
