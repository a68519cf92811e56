package s3api

import (
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/anode/anode/internal/s3err"
)

// Cross-origin resource sharing. A bucket's CORS configuration is kept as
// the XML document the client sent (the object service stores it in the
// bucket record); it is parsed when a browser request needs it.

const maxCORSRules = 100

var errCORSForbidden = &s3err.Error{Code: "AccessForbidden", Status: http.StatusForbidden,
	Message: "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."}

var errCORSBadRequest = &s3err.Error{Code: "BadRequest", Status: http.StatusBadRequest,
	Message: "Insufficient information. Origin request header needed."}

type corsConfiguration struct {
	XMLName xml.Name   `xml:"CORSConfiguration"`
	NS      string     `xml:"xmlns,attr,omitempty"`
	Rules   []corsRule `xml:"CORSRule"`
}

type corsRule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds"`
}

var corsMethods = map[string]bool{"GET": true, "PUT": true, "HEAD": true, "POST": true, "DELETE": true}

// parseCORS parses and validates a CORSConfiguration document.
func parseCORS(data []byte) (*corsConfiguration, error) {
	var cfg corsConfiguration
	if err := xml.Unmarshal(data, &cfg); err != nil {
		return nil, s3err.MalformedXML
	}
	if len(cfg.Rules) == 0 || len(cfg.Rules) > maxCORSRules {
		return nil, s3err.MalformedXML
	}
	for _, r := range cfg.Rules {
		if len(r.AllowedMethods) == 0 || len(r.AllowedOrigins) == 0 {
			return nil, s3err.MalformedXML
		}
		for _, m := range r.AllowedMethods {
			if !corsMethods[m] {
				return nil, s3err.InvalidRequest.WithMessage("Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return nil, s3err.InvalidRequest.WithMessage("AllowedOrigin %q can not have more than one wildcard.", o)
			}
		}
		for _, h := range r.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return nil, s3err.InvalidRequest.WithMessage("AllowedHeader %q can not have more than one wildcard.", h)
			}
		}
	}
	return &cfg, nil
}

// wildcardMatch matches s against a pattern with at most one '*'.
func wildcardMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	before, after, ok := strings.Cut(pattern, "*")
	if !ok {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

// match returns the first rule allowing origin, method and every header
// in headers, or nil.
func (c *corsConfiguration) match(origin, method string, headers []string) *corsRule {
rules:
	for i := range c.Rules {
		r := &c.Rules[i]
		if !anyMatch(r.AllowedOrigins, origin, false) || !contains(r.AllowedMethods, method) {
			continue
		}
		for _, h := range headers {
			if !anyMatch(r.AllowedHeaders, h, true) {
				continue rules
			}
		}
		return r
	}
	return nil
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if wildcardMatch(p, s, fold) {
			return true
		}
	}
	return false
}

// setCORSHeaders writes the Access-Control-* headers a matched rule grants.
func setCORSHeaders(h http.Header, r *corsRule, origin string) {
	if len(r.AllowedOrigins) == 1 && r.AllowedOrigins[0] == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
	h.Add("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}

// bucketCORS returns a bucket's parsed CORS configuration, or nil.
func (a *api) bucketCORS(rq *request) *corsConfiguration {
	doc, err := a.objects.GetBucketCORS(rq.ctx(), rq.bucket)
	if err != nil {
		return nil
	}
	cfg, err := parseCORS(doc)
	if err != nil {
		return nil
	}
	return cfg
}

// preflightCORS answers a browser's preflight request (OPTIONS on a bucket
// or object). Browsers send it without credentials, so it is served
// before authentication, and it reveals only whether the bucket's CORS
// configuration allows the request.
func (a *api) preflightCORS(rq *request) error {
	rq.op = "PreflightCORS"
	h := rq.r.Header
	origin, method := h.Get("Origin"), h.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		return errCORSBadRequest
	}
	if err := checkBucketName(rq.bucket); err != nil {
		return err
	}
	cfg := a.bucketCORS(rq)
	if cfg == nil {
		return errCORSForbidden
	}
	var headers []string
	for _, v := range h.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				headers = append(headers, name)
			}
		}
	}
	r := cfg.match(origin, method, headers)
	if r == nil {
		return errCORSForbidden
	}
	wh := rq.w.Header()
	setCORSHeaders(wh, r, origin)
	if len(headers) > 0 {
		wh.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// corsHeaders adds the Access-Control-* headers to the answer of an
// authenticated request that came from a browser (it has an Origin) to a
// bucket whose CORS configuration allows it.
func (a *api) corsHeaders(rq *request) {
	origin := rq.r.Header.Get("Origin")
	if origin == "" || rq.bucket == "" {
		return
	}
	if cfg := a.bucketCORS(rq); cfg != nil {
		if r := cfg.match(origin, rq.r.Method, nil); r != nil {
			setCORSHeaders(rq.w.Header(), r, origin)
		}
	}
}

// getBucketCORS serves GetBucketCors (GET /bucket?cors).
func (a *api) getBucketCORS(rq *request) error {
	doc, err := a.objects.GetBucketCORS(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	cfg, err := parseCORS(doc)
	if err != nil {
		return err
	}
	cfg.NS = s3NS
	writeXML(rq.w, http.StatusOK, cfg)
	return nil
}

// putBucketCORS serves PutBucketCors (PUT /bucket?cors).
func (a *api) putBucketCORS(rq *request) error {
	data, err := readBody(rq, maxConfigBody)
	if err != nil {
		return err
	}
	if err := a.verifyBodyDigests(rq, data); err != nil {
		return err
	}
	if _, err := parseCORS(data); err != nil {
		return err
	}
	if err := a.objects.PutBucketCORS(rq.ctx(), rq.bucket, data); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucketCORS serves DeleteBucketCors (DELETE /bucket?cors).
func (a *api) deleteBucketCORS(rq *request) error {
	if err := a.objects.PutBucketCORS(rq.ctx(), rq.bucket, nil); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// readBody reads a request body of at most limit bytes.
func readBody(rq *request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rq.body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, s3err.MalformedXML.WithMessage("The XML you provided was larger than the maximum %d bytes allowed.", limit)
	}
	return data, nil
}
