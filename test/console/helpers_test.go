// Package console_test drives the web console (internal/console) of a real
// server: its session API with net/http and its pages with headless
// Chromium (chromedp).
package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/anode/anode/internal/admin"
	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/testutil"
)

func bg() context.Context { return context.Background() }

// consoleClient is a browser-like client: a cookie jar and the CSRF token.
type consoleClient struct {
	t    *testing.T
	base string // http://127.0.0.1:port/console/
	http *http.Client
	csrf string
}

func newClient(t *testing.T, adminURL string) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, base: adminURL + "/console/", http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// call sends a request with the given headers and returns status and body.
func (c *consoleClient) call(method, path string, body []byte, hdr map[string]string) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(bg(), method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, b
}

// do is call with the session's CSRF token and a JSON body.
func (c *consoleClient) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	return c.call(method, path, b, map[string]string{"X-Anode-Csrf": c.csrf, "Content-Type": "application/json"})
}

func (c *consoleClient) login(accessKey, secret string) int {
	c.t.Helper()
	b, _ := json.Marshal(map[string]string{"accessKey": accessKey, "secretKey": secret})
	status, body := c.call("POST", "api/login", b, map[string]string{"Content-Type": "application/json"})
	if status == 200 {
		var s struct{ CSRF string }
		if err := json.Unmarshal(body, &s); err != nil || len(s.CSRF) != 64 {
			c.t.Fatalf("login answer %s: %v", body, err)
		}
		c.csrf = s.CSRF
	}
	return status
}

func want(t *testing.T, what string, status int, body []byte, wantStatus int) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("%s: status %d, want %d (%s)", what, status, wantStatus, body)
	}
}

func rootAdmin(url string) *admin.Client {
	return &admin.Client{URL: url, AccessKey: testutil.AccessKey, SecretKey: testutil.SecretKey}
}

// newUserKey creates a user with policies and one key through the admin API.
func newUserKey(t *testing.T, adminURL, name string, policies ...string) iam.NewKey {
	t.Helper()
	adm := rootAdmin(adminURL)
	if err := adm.Do(bg(), "POST", "/admin/users", map[string]any{"name": name, "policies": policies}, nil); err != nil {
		t.Fatal(err)
	}
	var k iam.NewKey
	if err := adm.Do(bg(), "POST", "/admin/users/"+name+"/keys", map[string]any{"description": "console test"}, &k); err != nil {
		t.Fatal(err)
	}
	return k
}
