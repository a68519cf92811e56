package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/anode/anode/internal/auth"
)

func signed(t *testing.T, method, url, access, secret string) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, url, nil)
	sum := sha256.Sum256(nil)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: access, SecretAccessKey: secret},
		req, hash, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestRoutesAreAuthenticated checks the extension point for more admin
// endpoints: a route in Config.Routes gets the signature check and
// Authorize, and its handler learns the caller from AccessKey.
func TestRoutesAreAuthenticated(t *testing.T) {
	var caller string
	h := NewHandler(Config{
		Auth: &auth.Verifier{Creds: auth.StaticCredentials{"root": "root-secret", "user": "user-secret"}, Region: "us-east-1"},
		Authorize: func(_ *http.Request, key string) error {
			if key != "root" {
				return errors.New("root only")
			}
			return nil
		},
		Routes: map[string]http.Handler{"POST /users": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			caller = AccessKey(r.Context())
			io.WriteString(w, "created")
		})},
	})
	for _, tc := range []struct {
		name string
		req  *http.Request
		want int
	}{
		{"unsigned", httptest.NewRequest("POST", "http://admin/users", nil), http.StatusUnauthorized},
		{"form post", func() *http.Request {
			r := httptest.NewRequest("POST", "http://admin/users", strings.NewReader("name=x"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}(), http.StatusUnauthorized},
		{"wrong secret", signed(t, "POST", "http://admin/users", "root", "guess"), http.StatusForbidden},
		{"not authorized", signed(t, "POST", "http://admin/users", "user", "user-secret"), http.StatusForbidden},
		{"root", signed(t, "POST", "http://admin/users", "root", "root-secret"), http.StatusOK},
	} {
		caller = ""
		w := httptest.NewRecorder()
		h.ServeHTTP(w, tc.req)
		if w.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.want)
		}
		if (tc.want == http.StatusOK) != (caller == "root") {
			t.Errorf("%s: handler saw caller %q", tc.name, caller)
		}
	}
	// /health stays open.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://admin/health", nil))
	if w.Code != http.StatusOK {
		t.Errorf("/health: %d", w.Code)
	}
}

func TestMetricsSwitch(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		auth string
		want int
	}{
		{Config{}, "", http.StatusOK},
		{Config{DisableMetrics: true}, "", http.StatusNotFound},
		{Config{MetricsToken: "0123456789abcdef"}, "", http.StatusUnauthorized},
		{Config{MetricsToken: "0123456789abcdef"}, "Bearer 0123456789abcdef", http.StatusOK},
	} {
		req := httptest.NewRequest("GET", "http://admin/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		w := httptest.NewRecorder()
		NewHandler(tc.cfg).ServeHTTP(w, req)
		if w.Code != tc.want {
			t.Errorf("%+v with %q: %d, want %d", tc.cfg, tc.auth, w.Code, tc.want)
		}
	}
}
