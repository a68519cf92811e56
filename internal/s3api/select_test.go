package s3api

import (
	"net/http"
	"strings"
	"testing"
)

// TestSelectRejectsBeforeTheService checks the SelectObjectContent errors
// the HTTP layer finds on its own, as S3 XML errors: the service behind
// the test server has no storage, so a request reaching it would fail the
// test with InternalError.
func TestSelectRejectsBeforeTheService(t *testing.T) {
	srv := newTestServer(t)
	const valid = `<SelectObjectContentRequest><Expression>SELECT * FROM S3Object</Expression><ExpressionType>SQL</ExpressionType>` +
		`<InputSerialization><CSV/></InputSerialization><OutputSerialization><JSON/></OutputSerialization></SelectObjectContentRequest>`
	for _, tt := range []struct {
		name, target, body string
		header             http.Header
		status             int
		code               string
	}{
		{"select-type 1", "/bucket/k?select&select-type=1", valid, nil, 400, "InvalidArgument"},
		{"bad XML", "/bucket/k?select&select-type=2", "<SelectObjectContentRequest>", nil, 400, "MalformedXML"},
		{"bad SQL", "/bucket/k?select&select-type=2", strings.Replace(valid, "SELECT *", "SELECT", 1), nil, 400, "ParseEmptySelect"},
		{"no expression type", "/bucket/k?select&select-type=2", strings.Replace(valid, "SQL", "", 1), nil, 400, "InvalidExpressionType"},
		{"bad Content-MD5", "/bucket/k?select&select-type=2", valid, http.Header{"Content-Md5": {"1B2M2Y8AsgTpgAmY7PhCfg=="}}, 400, "BadDigest"},
	} {
		resp, body := do(t, srv, http.MethodPost, tt.target, []byte(tt.body), tt.header)
		if resp.StatusCode != tt.status || !strings.Contains(body, "<Code>"+tt.code+"</Code>") {
			t.Errorf("%s: %d %s; want %d %s", tt.name, resp.StatusCode, body, tt.status, tt.code)
		}
		if ct := resp.Header.Get("Content-Type"); ct == "application/vnd.amazon.eventstream" {
			t.Errorf("%s: an error answered as an event stream", tt.name)
		}
	}
}
