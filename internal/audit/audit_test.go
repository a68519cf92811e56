package audit

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"
)

func readLines(t *testing.T, path string) []Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestFileAndWebhook(t *testing.T) {
	var mu sync.Mutex
	var got []Entry
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var batch []Entry
		if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		if len(batch) > 3 {
			t.Errorf("batch of %d, want at most 3", len(batch))
		}
		mu.Lock()
		got = append(got, batch...)
		mu.Unlock()
	}))
	defer hook.Close()
	path := filepath.Join(t.TempDir(), "sub", "audit.log")
	l, err := New(Config{File: path, MaxSizeMB: 1, WebhookURL: hook.URL, BatchSize: 3, BufferSize: 100, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		l.Log(Entry{Kind: "s3", RequestID: string(rune('A' + i)), Principal: "alice", Operation: "GetObject", Decision: "allow", Status: 200})
	}
	lines := readLines(t, path)
	if len(lines) != 10 || lines[3].RequestID != "D" || lines[3].Principal != "alice" || lines[3].Time.IsZero() {
		t.Fatalf("file: %+v", lines)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook got %d entries, want 10", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBoundedBuffer: a webhook that does not answer cannot make the
// logger hold more than its buffer; the rest is dropped and counted, and
// the file still has every entry.
func TestBoundedBuffer(t *testing.T) {
	release := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-release
	}))
	defer hook.Close()
	defer close(release)
	path := filepath.Join(t.TempDir(), "audit.log")
	before := promtest.ToFloat64(dropped)
	l, err := New(Config{File: path, WebhookURL: hook.URL, BatchSize: 1, BufferSize: 2, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 50; i++ {
		l.Log(Entry{Kind: "s3", Operation: "PutObject"})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("logging blocked on the webhook for %v", d)
	}
	// At most one batch in flight and two buffered: 47 or more dropped.
	if n := promtest.ToFloat64(dropped) - before; n < 47 {
		t.Fatalf("dropped %v, want at least 47", n)
	}
	if n := len(readLines(t, path)); n != 50 {
		t.Fatalf("file has %d entries, want 50", n)
	}
}

func TestUnwritableFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
	if _, err := New(Config{File: filepath.Join(dir, "file", "audit.log")}); err == nil {
		t.Fatal("an audit log under a regular file opened")
	}
}
