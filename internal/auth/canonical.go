package auth

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// queryParam is one decoded name=value pair of a query string.
type queryParam struct{ key, value string }

// queryParams is a query string decoded in order. A slice rather than
// url.Values: it keeps repeated names, and parsing it costs one allocation.
type queryParams []queryParam

// parseQuery decodes a raw query string. A malformed escape is kept
// literally, as url.ParseQuery would refuse the whole query, and the
// signature then covers exactly what the client sent.
func parseQuery(raw string) queryParams {
	if raw == "" {
		return nil
	}
	q := make(queryParams, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		q = append(q, queryParam{unescapeQuery(k), unescapeQuery(v)})
	}
	return q
}

func unescapeQuery(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

func (q queryParams) has(key string) bool {
	_, ok := q.get(key)
	return ok
}

// get returns the first value of key.
func (q queryParams) get(key string) (string, bool) {
	for _, p := range q {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// appendCanonicalQuery appends the canonical query string: every pair
// URI-encoded, sorted by name then value, joined by '&'. X-Amz-Signature is
// left out of presigned requests, which sign everything but themselves.
func appendCanonicalQuery(dst []byte, q queryParams, presigned bool) []byte {
	if len(q) == 0 {
		return dst
	}
	enc := make([]queryParam, 0, len(q))
	for _, p := range q {
		if presigned && p.key == "X-Amz-Signature" {
			continue
		}
		enc = append(enc, queryParam{uriEncode(p.key), uriEncode(p.value)})
	}
	slices.SortFunc(enc, func(a, b queryParam) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	for i, p := range enc {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, p.key...)
		dst = append(dst, '=')
		dst = append(dst, p.value...)
	}
	return dst
}

// unreserved reports whether AWS leaves c unencoded: A-Z a-z 0-9 - . _ ~.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

const upperHex = "0123456789ABCDEF"

func appendEncodedByte(dst []byte, c byte) []byte {
	if unreserved(c) {
		return append(dst, c)
	}
	return append(dst, '%', upperHex[c>>4], upperHex[c&15])
}

// uriEncode encodes s the AWS way, returning s itself (no allocation) when
// nothing needs encoding, which is the common case for S3 query names.
func uriEncode(s string) string {
	i := 0
	for i < len(s) && unreserved(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		b = appendEncodedByte(b, s[i])
	}
	return string(b)
}

// appendCanonicalURI appends the canonical form of an escaped request path:
// each segment decoded once and re-encoded the AWS way, '/' kept, "." and
// ".." segments and empty segments kept as they are (S3 does not normalise
// paths). An escaped slash (%2F) stays escaped: it is part of a segment.
func appendCanonicalURI(dst []byte, escapedPath string) []byte {
	if escapedPath == "" {
		return append(dst, '/')
	}
	for i := 0; i < len(escapedPath); i++ {
		c := escapedPath[i]
		switch {
		case c == '/':
			dst = append(dst, '/')
		case c == '%' && i+2 < len(escapedPath) && ishex(escapedPath[i+1]) && ishex(escapedPath[i+2]):
			dst = appendEncodedByte(dst, unhex(escapedPath[i+1])<<4|unhex(escapedPath[i+2]))
			i += 2
		default:
			dst = appendEncodedByte(dst, c)
		}
	}
	return dst
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// appendCanonicalHeaders appends "name:value\n" for each name of the
// semicolon-separated signedHeaders, in the order given.
func appendCanonicalHeaders(dst []byte, r *http.Request, signedHeaders string) []byte {
	for rest := signedHeaders; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ";")
		dst = append(dst, name...)
		dst = append(dst, ':')
		dst = appendHeaderValue(dst, r, name)
		dst = append(dst, '\n')
	}
	return dst
}

// appendHeaderValue appends the canonical value of header name: its values
// trimmed, runs of spaces collapsed, joined by ','. Go's server moves a few
// headers out of r.Header; those are read back from where it puts them.
func appendHeaderValue(dst []byte, r *http.Request, name string) []byte {
	if name == "host" {
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		return appendTrimmed(dst, host)
	}
	vals := lookupHeader(r.Header, name)
	if len(vals) == 0 {
		switch name {
		case "content-length":
			if r.ContentLength >= 0 {
				return strconv.AppendInt(dst, r.ContentLength, 10)
			}
		case "transfer-encoding":
			vals = r.TransferEncoding
		}
	}
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendTrimmed(dst, v)
	}
	return dst
}

// appendTrimmed appends v without leading and trailing white space and with
// each run of spaces collapsed to one, as the SigV4 canonical form asks.
func appendTrimmed(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// lookupHeader returns the values of the lower-case header name. Servers
// store names in canonical MIME form, so that form is tried first, built on
// the stack (a map lookup by string(bytes) does not allocate).
func lookupHeader(h http.Header, name string) []string {
	var buf [96]byte
	if len(name) <= len(buf) {
		b := buf[:len(name)]
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			} else if !upper && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i] = c
			upper = c == '-'
		}
		if v, ok := h[string(b)]; ok {
			return v
		}
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}
