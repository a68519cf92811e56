package auth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"
)

// Keys that exercise the canonical URI: spaces, unicode, reserved
// characters, '%', '+', and path segments S3 must not normalise.
var hardKeys = []string{
	"plain.txt",
	"with space/and  two spaces",
	"unicode/日本語/ünïcödé ☃.bin",
	"plus+sign and%percent",
	"../escape/../../x",
	"dir//double/./dot",
	"chars!'()*;:@&=$,?#[]{}<>|^`\"\\",
	"trailing/",
	"~tilde-_.",
}

func TestHeaderSignatureAWSSDK(t *testing.T) {
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	for _, key := range hardKeys {
		t.Run(key, func(t *testing.T) {
			body := "hello " + key
			req, err := http.NewRequest("PUT", srv.URL+"/bucket/"+awsEscape(key)+"?x-id=PutObject&tagging=a%3Db%20c", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "text/plain;  charset=utf-8 ")
			req.Header.Set("X-Amz-Meta-Spaces", "  a   b  ")
			req.Header.Add("X-Amz-Meta-Multi", "one")
			req.Header.Add("X-Amz-Meta-Multi", "two")
			awsSign(t, req, testAccessKey, testSecretKey, hexSHA256([]byte(body)), testRegion, time.Now())
			o := do(t, req)
			wantOK(t, o, body)
			if o.AccessKey != testAccessKey || o.ContentLength != int64(len(body)) {
				t.Fatalf("access key %q, length %d", o.AccessKey, o.ContentLength)
			}
		})
	}
}

func TestHeaderSignatureMinio(t *testing.T) {
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	for _, key := range hardKeys {
		t.Run(key, func(t *testing.T) {
			body := "minio " + key
			u, err := url.Parse(srv.URL + "/bucket/" + awsEscape(key) + "?uploads&prefix=a+b%2Fc")
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequest("PUT", u.String(), bytes.NewReader([]byte(body)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Content-Sha256", hexSHA256([]byte(body)))
			req.Header.Set("X-Amz-Meta-Key", "value")
			req = signer.SignV4(*req, testAccessKey, testSecretKey, "", testRegion)
			wantOK(t, do(t, req), body)
		})
	}
}

// A client that signs the path exactly as Go sent it, with characters the
// AWS canonical form would encode ('+', '=', ':' ...), is still accepted.
func TestHeaderSignatureVerbatimPath(t *testing.T) {
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	req, _ := http.NewRequest("GET", srv.URL+"/bucket/a+b=c:d@e", nil)
	if got := req.URL.EscapedPath(); got != "/bucket/a+b=c:d@e" {
		t.Fatalf("test premise: Go escapes the path as %q", got)
	}
	awsSign(t, req, testAccessKey, testSecretKey, emptySHA256Hex, testRegion, time.Now())
	wantOK(t, do(t, req), "")
}

// A configured region is enforced (us-east-1 included, as on a regional
// AWS endpoint); no configured region accepts any.
func TestHeaderSignatureRegions(t *testing.T) {
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	for region, code := range map[string]string{
		testRegion:  "",
		"us-east-1": "AuthorizationHeaderMalformed",
		"us-west-2": "AuthorizationHeaderMalformed",
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/bucket", nil)
		awsSign(t, req, testAccessKey, testSecretKey, emptySHA256Hex, region, time.Now())
		o := do(t, req)
		if code == "" {
			wantOK(t, o, "")
		} else {
			wantErr(t, o, "auth", code)
		}
	}
}

func TestHeaderSignatureAnyRegion(t *testing.T) {
	srv := newServer(t, &Verifier{Creds: testCreds()})
	for _, region := range []string{"us-east-1", "eu-central-1", "ap-southeast-2"} {
		req, _ := http.NewRequest("GET", srv.URL+"/bucket", nil)
		awsSign(t, req, testAccessKey, testSecretKey, emptySHA256Hex, region, time.Now())
		wantOK(t, do(t, req), "")
	}
}

func TestHeaderSignatureFailures(t *testing.T) {
	now := time.Now()
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	newReq := func(body string) *http.Request {
		req, _ := http.NewRequest("PUT", srv.URL+"/bucket/key?acl", strings.NewReader(body))
		req.Header.Set("X-Amz-Meta-Color", "blue")
		return req
	}
	tests := []struct {
		name  string
		req   func() *http.Request
		stage string
		code  string
	}{
		{"wrong secret", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, "not-the-secret", hexSHA256([]byte("x")), testRegion, now)
			return r
		}, "auth", "SignatureDoesNotMatch"},
		{"unknown key", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, "AKIDUNKNOWN", testSecretKey, hexSHA256([]byte("x")), testRegion, now)
			return r
		}, "auth", "InvalidAccessKeyId"},
		{"clock behind", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("x")), testRegion, now.Add(-16*time.Minute))
			return r
		}, "auth", "RequestTimeTooSkewed"},
		{"clock ahead", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("x")), testRegion, now.Add(16*time.Minute))
			return r
		}, "auth", "RequestTimeTooSkewed"},
		{"tampered header", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("x")), testRegion, now)
			r.Header.Set("X-Amz-Meta-Color", "red")
			return r
		}, "auth", "SignatureDoesNotMatch"},
		{"tampered query", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("x")), testRegion, now)
			r.URL.RawQuery = "acl&versionId=1"
			return r
		}, "auth", "SignatureDoesNotMatch"},
		{"tampered path", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("x")), testRegion, now)
			r.URL.Path = "/bucket/other"
			return r
		}, "auth", "SignatureDoesNotMatch"},
		{"tampered method", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("x")), testRegion, now)
			r.Method = "POST"
			return r
		}, "auth", "SignatureDoesNotMatch"},
		{"payload hash mismatch", func() *http.Request {
			r := newReq("the real body")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("another body")), testRegion, now)
			return r
		}, "body", "XAmzContentSHA256Mismatch"},
		{"missing x-amz-content-sha256", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("x")), testRegion, now)
			r.Header.Del("X-Amz-Content-Sha256")
			return r
		}, "auth", "InvalidRequest"},
		{"bad x-amz-content-sha256", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, "NOT-A-HASH", testRegion, now)
			return r
		}, "auth", "InvalidArgument"},
		{"anonymous", func() *http.Request { return newReq("x") }, "auth", "AccessDenied"},
		{"missing date", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("x")), testRegion, now)
			r.Header.Del("X-Amz-Date")
			return r
		}, "auth", "AccessDenied"},
		{"signature v2 without a date", func() *http.Request {
			r := newReq("x")
			r.Header.Set("Authorization", "AWS "+testAccessKey+":c2lnbmF0dXJl")
			r.Header.Del("X-Amz-Date")
			r.Header.Del("Date")
			return r
		}, "auth", "AccessDenied"},
		{"malformed header", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("x")), testRegion, now)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SignedHeaders=", "SignedHeader=", 1))
			return r
		}, "auth", "AuthorizationHeaderMalformed"},
		{"wrong service", func() *http.Request {
			r := newReq("x")
			r.Header.Set("X-Amz-Content-Sha256", hexSHA256([]byte("x")))
			awsSigner().SignHTTP(t.Context(), awsCreds(testAccessKey, testSecretKey), r, hexSHA256([]byte("x")), "ec2", testRegion, now)
			return r
		}, "auth", "AuthorizationHeaderMalformed"},
		{"header and query", func() *http.Request {
			r := newReq("x")
			awsSign(t, r, testAccessKey, testSecretKey, hexSHA256([]byte("x")), testRegion, now)
			r.URL.RawQuery = "acl&X-Amz-Algorithm=AWS4-HMAC-SHA256"
			return r
		}, "auth", "InvalidArgument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, do(t, tc.req()), tc.stage, tc.code)
		})
	}
}

// Without X-Amz-Date, the Date header dates the request, in its ISO 8601
// form for the string to sign.
func TestHeaderDateFallback(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://h/b", nil)
	r.Header.Set("Date", "Tue, 07 Jan 2025 08:09:10 GMT")
	amz, at, err := headerDate(r)
	if err != nil || amz != "20250107T080910Z" || !at.Equal(time.Date(2025, 1, 7, 8, 9, 10, 0, time.UTC)) {
		t.Fatalf("headerDate = %q, %v, %v", amz, at, err)
	}
	r.Header.Set("X-Amz-Date", "20250107T080911Z")
	if amz, _, _ := headerDate(r); amz != "20250107T080911Z" {
		t.Fatalf("X-Amz-Date does not take precedence: %q", amz)
	}
	r.Header.Set("X-Amz-Date", "yesterday")
	if _, _, err := headerDate(r); err == nil {
		t.Fatal("a malformed X-Amz-Date is accepted")
	}
}

func TestIsAnonymous(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://h/b/k": true,
		"http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256": false,
		"http://h/b/k?AWSAccessKeyId=a&Signature=b":     false,
		"http://h/b/k?versionId=3":                      true,
	} {
		r, _ := http.NewRequest("GET", raw, nil)
		if got := IsAnonymous(r); got != want {
			t.Errorf("IsAnonymous(%s) = %v, want %v", raw, got, want)
		}
	}
	r, _ := http.NewRequest("GET", "http://h/b/k", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 x")
	if IsAnonymous(r) {
		t.Error("a request with an Authorization header is not anonymous")
	}
}

// A body cut short of its Content-Length (the client went away) fails with
// IncompleteBody, not a silent short read.
func TestShortBodyIsIncomplete(t *testing.T) {
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	body := strings.Repeat("x", 1000)
	req, _ := http.NewRequest("PUT", srv.URL+"/bucket/key", strings.NewReader(body))
	awsSign(t, req, testAccessKey, testSecretKey, hexSHA256([]byte(body)), testRegion, time.Now())
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(wire.Bytes()[:wire.Len()-500]); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var o outcome
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		t.Fatal(err)
	}
	wantErr(t, o, "body", "IncompleteBody")
}
