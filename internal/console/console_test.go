package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anode/anode/internal/auth"
)

// clock is a movable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTestConsole(clk *clock) *Console {
	return New(Config{
		LookupSecret: func(_ context.Context, key string) (string, error) {
			if key == "root" {
				return "root-secret", nil
			}
			return "", auth.ErrUnknownAccessKey
		},
		RootAccessKey: "root",
		// The session layer is under test here; the S3 side is exercised
		// against a real server in test/console.
		S3: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>`))
		}),
		S3Host: "127.0.0.1:1",
		Now:    clk.Now,
	})
}

func loginCookie(t *testing.T, c *Console) *http.Cookie {
	t.Helper()
	r := httptest.NewRequest("POST", "/console/api/login", strings.NewReader(`{"accessKey":"root","secretKey":"root-secret"}`))
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	return w.Result().Cookies()[0]
}

func get(c *Console, cookie *http.Cookie) int {
	r := httptest.NewRequest("GET", "/console/api/buckets", nil)
	r.AddCookie(cookie)
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	return w.Code
}

// TestSessionIdleTimeout: a session unused for the idle timeout is gone
// (401); one in use stays until its lifetime ends. Making expired()
// always false makes the 401 checks fail.
func TestSessionIdleTimeout(t *testing.T) {
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	c := newTestConsole(clk)
	cookie := loginCookie(t, c)
	if len(cookie.Value) != 64 || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie %+v", cookie)
	}
	if got := get(c, cookie); got != 200 {
		t.Fatalf("fresh session: %d", got)
	}
	clk.add(defaultIdle - time.Second)
	if got := get(c, cookie); got != 200 {
		t.Fatalf("session used within the idle timeout: %d", got)
	}
	clk.add(defaultIdle)
	if got := get(c, cookie); got != 401 {
		t.Fatalf("idle session: %d, want 401", got)
	}

	// Used every 20 minutes, a session still ends after its lifetime.
	cookie = loginCookie(t, c)
	for elapsed := time.Duration(0); elapsed < defaultLifetime-20*time.Minute; elapsed += 20 * time.Minute {
		clk.add(20 * time.Minute)
		if got := get(c, cookie); got != 200 {
			t.Fatalf("active session after %v: %d", elapsed, got)
		}
	}
	clk.add(20 * time.Minute)
	if got := get(c, cookie); got != 401 {
		t.Fatalf("session past its lifetime: %d, want 401", got)
	}
}

// TestSessionTableBounded: logins beyond the table's size evict the
// least recently used session instead of growing memory.
func TestSessionTableBounded(t *testing.T) {
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	s := newSessions(time.Hour, time.Hour, 3, clk.Now)
	first := s.create("k", "s", false)
	for i := 0; i < 5; i++ {
		clk.add(time.Second)
		s.create("k", "s", false)
	}
	if len(s.byID) != 3 {
		t.Fatalf("%d sessions, want 3", len(s.byID))
	}
	if s.get(first.id) != nil {
		t.Fatal("the oldest session survived")
	}
}
