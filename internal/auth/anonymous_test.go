package auth

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anode/anode/internal/s3err"
)

// TestAnonymousPayload: an unsigned request's body is framed by its
// x-amz-content-sha256 like a signed one's, so that aws-chunked framing is
// decoded (never stored as data) and a hash is checked.
func TestAnonymousPayload(t *testing.T) {
	body := "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
	r, _ := http.NewRequest("PUT", "http://h/b/k", strings.NewReader(body))
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	r.Header.Set("X-Amz-Decoded-Content-Length", "5")
	res, err := Anonymous(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	if err != nil || string(got) != "hello" || res.ContentLength != 5 {
		t.Fatalf("decoded %q (%d) %v", got, res.ContentLength, err)
	}
	r, _ = http.NewRequest("PUT", "http://h/b/k", strings.NewReader("data"))
	r.Header.Set("X-Amz-Content-Sha256", hexSHA256([]byte("other")))
	res, err = Anonymous(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(res.Body); s3err.As(err).Code != "XAmzContentSHA256Mismatch" {
		t.Fatalf("hash mismatch: %v", err)
	}
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	if _, err := Anonymous(r); s3err.As(err).Code != "InvalidRequest" {
		t.Fatalf("signed streaming without a signature: %v", err)
	}
}
