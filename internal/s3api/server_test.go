package s3api

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// TestBodyDeadline checks that a client that stops sending its body is cut
// off after the inactivity timeout, with an error the handler maps to
// RequestTimeout.
func TestBodyDeadline(t *testing.T) {
	got := make(chan error, 1)
	srv := httptest.NewServer(bodyDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		got <- err
	}), 50*time.Millisecond))
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Promise 10 bytes, send 2, then go silent.
	io.WriteString(conn, "PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
	select {
	case err := <-got:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("body read error = %v, want a deadline error", err)
		}
		if (&api{log: quietAPI().log}).toS3Error(&request{}, err).Code != "RequestTimeout" {
			t.Error("deadline error not mapped to RequestTimeout")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled body was never cut off")
	}
}

func TestNewServerLimits(t *testing.T) {
	s := NewServer(":0", http.NotFoundHandler(), time.Minute)
	if s.ReadHeaderTimeout <= 0 || s.MaxHeaderBytes < 8<<10 || s.IdleTimeout <= 0 {
		t.Errorf("server limits not set: %+v", s)
	}
}
