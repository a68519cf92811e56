package s3api

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// Object Lock: the bucket configuration, per-version retention and legal
// hold, and the lock headers of writes and reads. The protection itself is
// enforced by the state machine (see internal/meta/objectlock.go).

// lockRoutes go before every other route: each names a sub-resource, so
// none shadows a plainer route.
var lockRoutes = []route{
	{method: http.MethodGet, level: levelBucket, query: []string{"object-lock"}, op: "GetObjectLockConfiguration", fn: (*api).getObjectLockConfiguration},
	{method: http.MethodPut, level: levelBucket, query: []string{"object-lock"}, op: "PutObjectLockConfiguration", fn: (*api).putObjectLockConfiguration},
	{method: http.MethodGet, level: levelObject, query: []string{"retention"}, op: "GetObjectRetention", fn: (*api).getObjectRetention},
	{method: http.MethodPut, level: levelObject, query: []string{"retention"}, op: "PutObjectRetention", fn: (*api).putObjectRetention},
	{method: http.MethodGet, level: levelObject, query: []string{"legal-hold"}, op: "GetObjectLegalHold", fn: (*api).getObjectLegalHold},
	{method: http.MethodPut, level: levelObject, query: []string{"legal-hold"}, op: "PutObjectLegalHold", fn: (*api).putObjectLegalHold},
}

func init() { routes = append(append([]route(nil), lockRoutes...), routes...) }

// lockTimeFormat is how S3 writes retain-until dates (ISO 8601, UTC, ms).
const lockTimeFormat = "2006-01-02T15:04:05.000Z"

type objectLockConfiguration struct {
	XMLName           xml.Name        `xml:"ObjectLockConfiguration"`
	NS                string          `xml:"xmlns,attr,omitempty"`
	ObjectLockEnabled string          `xml:"ObjectLockEnabled,omitempty"`
	Rule              *objectLockRule `xml:"Rule,omitempty"`
}

type objectLockRule struct {
	DefaultRetention *defaultRetention `xml:"DefaultRetention"`
}

type defaultRetention struct {
	Mode  string `xml:"Mode,omitempty"`
	Days  int    `xml:"Days,omitempty"`
	Years int    `xml:"Years,omitempty"`
}

type retention struct {
	XMLName         xml.Name `xml:"Retention"`
	NS              string   `xml:"xmlns,attr,omitempty"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

type legalHold struct {
	XMLName xml.Name `xml:"LegalHold"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status"`
}

// readConfigBody reads a configuration document that S3 requires to come
// with an integrity check (Content-MD5 or an x-amz-checksum-*), verifies
// that check, and decodes it into v.
func (a *api) readConfigBody(rq *request, v any) error {
	if !hasIntegrityHeader(rq.r.Header) {
		return s3err.InvalidRequest.WithMessage("Missing required header for this request: Content-MD5")
	}
	data, err := readLimited(rq, maxConfigBody)
	if err != nil {
		return err
	}
	if err := a.verifyBodyDigests(rq, data); err != nil {
		return err
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return s3err.MalformedXML
	}
	return nil
}

func readLimited(rq *request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rq.body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, s3err.MalformedXML.WithMessage("The XML you provided was larger than the maximum %d bytes allowed.", limit)
	}
	return data, nil
}

// hasIntegrityHeader reports whether a request's body is protected by
// Content-MD5, a checksum (as a header, or announced for an aws-chunked
// trailer), or a signed SHA-256 of the payload (x-amz-content-sha256 with
// a digest, or signed aws-chunked chunks), which the authenticator
// verifies. AWS asks for Content-MD5 or a checksum; the signed payload
// hash is accepted too because it protects the body at least as well,
// and it is what aws-sdk-go-v2 sends over plain HTTP.
func hasIntegrityHeader(h http.Header) bool {
	if h.Get("Content-Md5") != "" || h.Get("X-Amz-Sdk-Checksum-Algorithm") != "" {
		return true
	}
	switch p := h.Get("X-Amz-Content-Sha256"); {
	case len(p) == 64 && isHex(p), strings.HasPrefix(p, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"):
		return true
	}
	if strings.Contains(strings.ToLower(h.Get("X-Amz-Trailer")), "x-amz-checksum-") {
		return true
	}
	for name := range h {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "x-amz-checksum-") && l != "x-amz-checksum-algorithm" && l != "x-amz-checksum-type" && l != "x-amz-checksum-mode" {
			return true
		}
	}
	return false
}

// lockRequest parses the Object Lock headers of a write, or returns nil
// when it has none.
func lockRequest(h http.Header) (*object.LockRequest, error) {
	mode, date, hold := h.Get("x-amz-object-lock-mode"), h.Get("x-amz-object-lock-retain-until-date"), h.Get("x-amz-object-lock-legal-hold")
	if mode == "" && date == "" && hold == "" {
		return nil, nil
	}
	req := &object.LockRequest{Mode: mode}
	if date != "" {
		t, err := time.Parse(time.RFC3339Nano, date)
		if err != nil {
			return nil, s3err.InvalidArgument.WithMessage("The retain until date must be provided in ISO 8601 format")
		}
		req.RetainUntil = t
	}
	switch hold {
	case "", "OFF":
	case "ON":
		req.LegalHold = true
	default:
		return nil, s3err.InvalidArgument.WithMessage("Legal Hold must be either of 'ON' or 'OFF'")
	}
	if mode != "" && mode != meta.LockGovernance && mode != meta.LockCompliance {
		return nil, s3err.InvalidArgument.WithMessage("Unknown wormMode directive.")
	}
	return req, nil
}

// putLockRequest is lockRequest for PutObject, which S3 also requires to
// carry Content-MD5 or a checksum when it sets Object Lock parameters.
func putLockRequest(h http.Header) (*object.LockRequest, error) {
	req, err := lockRequest(h)
	if err != nil || req == nil {
		return req, err
	}
	if !hasIntegrityHeader(h) {
		return nil, s3err.InvalidRequest.WithMessage("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
	}
	return req, nil
}

// setLockHeaders writes a version's Object Lock state on GET and HEAD.
func setLockHeaders(h http.Header, l *meta.Lock) {
	if l == nil {
		return
	}
	if l.Mode != "" {
		h.Set("x-amz-object-lock-mode", l.Mode)
		h.Set("x-amz-object-lock-retain-until-date", time.Unix(0, l.RetainUntil).UTC().Format(lockTimeFormat))
	}
	if l.LegalHold {
		h.Set("x-amz-object-lock-legal-hold", "ON")
	} else {
		h.Set("x-amz-object-lock-legal-hold", "OFF")
	}
}

// bypassAsked reports whether the request asks to bypass GOVERNANCE
// retention.
func bypassAsked(rq *request) bool {
	return strings.EqualFold(rq.r.Header.Get("x-amz-bypass-governance-retention"), "true")
}

// mayBypass reports whether the requester has s3:BypassGovernanceRetention
// on key. A requester without it who sends the header is not refused: the
// request runs without the bypass, so a delete of an unprotected version
// still succeeds and one of a protected version is refused by Object Lock.
func (a *api) mayBypass(rq *request, key string) bool {
	if a.iam == nil || rq.identity == nil || rq.identity.Root {
		return true
	}
	d, decided := rq.decision, rq.decided
	err := a.authorizeCheck(rq, check{action: "s3:BypassGovernanceRetention", bucket: rq.bucket, key: key, existing: true})
	rq.decision, rq.decided = d, decided // the request's own decision is the one audited
	return err == nil
}

// withGovernanceBypass marks the request's context when it asks to bypass
// GOVERNANCE retention and may (DeleteObjects decides key by key).
func (a *api) withGovernanceBypass(rq *request) {
	if rq.op != "DeleteObjects" && bypassAsked(rq) && a.mayBypass(rq, rq.key) {
		rq.r = rq.r.WithContext(object.WithGovernanceBypass(rq.r.Context()))
	}
}

// keyContext is the context of one key of a DeleteObjects request.
func (a *api) keyContext(rq *request, key string) context.Context {
	if bypassAsked(rq) && a.mayBypass(rq, key) {
		return object.WithGovernanceBypass(rq.ctx())
	}
	return rq.ctx()
}

// getObjectLockConfiguration serves GET /bucket?object-lock.
func (a *api) getObjectLockConfiguration(rq *request) error {
	cfg, err := a.objects.ObjectLockConfiguration(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	out := objectLockConfiguration{NS: s3NS, ObjectLockEnabled: "Enabled"}
	if cfg.DefaultMode != "" {
		out.Rule = &objectLockRule{DefaultRetention: &defaultRetention{Mode: cfg.DefaultMode, Days: cfg.DefaultDays, Years: cfg.DefaultYears}}
	}
	writeXML(rq.w, http.StatusOK, out)
	return nil
}

// putObjectLockConfiguration serves PUT /bucket?object-lock.
func (a *api) putObjectLockConfiguration(rq *request) error {
	if rq.r.Header.Get("x-amz-bucket-object-lock-token") != "" {
		return s3err.NotImplemented.WithMessage("Object Lock tokens are not implemented.")
	}
	var doc objectLockConfiguration
	if err := a.readConfigBody(rq, &doc); err != nil {
		return err
	}
	if doc.ObjectLockEnabled != "Enabled" {
		return s3err.MalformedXML
	}
	var cfg meta.BucketLock
	if doc.Rule != nil {
		if doc.Rule.DefaultRetention == nil {
			return s3err.MalformedXML
		}
		d := doc.Rule.DefaultRetention
		cfg.DefaultMode, cfg.DefaultDays, cfg.DefaultYears = d.Mode, d.Days, d.Years
		if d.Mode == "" {
			return s3err.MalformedXML
		}
	}
	if err := a.objects.SetObjectLockConfiguration(rq.ctx(), rq.bucket, cfg); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// getObjectRetention serves GET /bucket/key?retention.
func (a *api) getObjectRetention(rq *request) error {
	l, err := a.objects.ObjectLock(rq.ctx(), rq.bucket, rq.key, rq.query("versionId"))
	if err != nil {
		return err
	}
	if l == nil || l.Mode == "" {
		return object.ErrNoObjectRetention
	}
	writeXML(rq.w, http.StatusOK, retention{NS: s3NS, Mode: l.Mode,
		RetainUntilDate: time.Unix(0, l.RetainUntil).UTC().Format(lockTimeFormat)})
	return nil
}

// putObjectRetention serves PUT /bucket/key?retention.
func (a *api) putObjectRetention(rq *request) error {
	var doc retention
	if err := a.readConfigBody(rq, &doc); err != nil {
		return err
	}
	var until time.Time
	if doc.RetainUntilDate != "" {
		t, err := time.Parse(time.RFC3339Nano, doc.RetainUntilDate)
		if err != nil {
			return s3err.MalformedXML
		}
		until = t
	}
	info, err := a.objects.PutObjectRetention(rq.ctx(), rq.bucket, rq.key, rq.query("versionId"), doc.Mode, until)
	if err != nil {
		return err
	}
	setIf(rq.w.Header(), "x-amz-version-id", info.VersionID)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// getObjectLegalHold serves GET /bucket/key?legal-hold.
func (a *api) getObjectLegalHold(rq *request) error {
	l, err := a.objects.ObjectLock(rq.ctx(), rq.bucket, rq.key, rq.query("versionId"))
	if err != nil {
		return err
	}
	status := "OFF"
	if l != nil && l.LegalHold {
		status = "ON"
	}
	writeXML(rq.w, http.StatusOK, legalHold{NS: s3NS, Status: status})
	return nil
}

// putObjectLegalHold serves PUT /bucket/key?legal-hold.
func (a *api) putObjectLegalHold(rq *request) error {
	var doc legalHold
	if err := a.readConfigBody(rq, &doc); err != nil {
		return err
	}
	if doc.Status != "ON" && doc.Status != "OFF" {
		return s3err.MalformedXML
	}
	info, err := a.objects.PutObjectLegalHold(rq.ctx(), rq.bucket, rq.key, rq.query("versionId"), doc.Status == "ON")
	if err != nil {
		return err
	}
	setIf(rq.w.Header(), "x-amz-version-id", info.VersionID)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
