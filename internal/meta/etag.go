package meta

import "strings"

// splitETags splits an If-Match style header value into unquoted ETags.
func splitETags(s string) []string {
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		p = strings.TrimSpace(p)
		p = strings.TrimPrefix(p, "W/")
		p = strings.Trim(p, `"`)
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ETagMatches reports whether a conditional header value (one ETag, a
// comma-separated list, or "*") matches the unquoted ETag etag.
func ETagMatches(cond, etag string) bool { return etagMatches(cond, etag) }
