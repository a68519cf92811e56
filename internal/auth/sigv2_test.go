package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// signV2 signs r the V2 way, independently of the verifier: the string to
// sign is written out by hand from the documentation's recipe.
func signV2(secret, stringToSign string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// TestV2DocumentationExample: the string to sign of the S3 documentation's
// "Object GET" example (path style), and its signature.
func TestV2DocumentationExample(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://s3.us-west-1.amazonaws.com/awsexamplebucket1/photos/puppy.jpg", nil)
	r.RequestURI = "/awsexamplebucket1/photos/puppy.jpg"
	r.Header.Set("Date", "Tue, 27 Mar 2007 19:36:42 +0000")
	got := stringToSignV2(r, parseQuery(r.URL.RawQuery), r.Header.Get("Date"))
	want := "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg"
	if got != want {
		t.Fatalf("string to sign:\n%q\nwant\n%q", got, want)
	}
	if sig := signV2(testSecretKey, got); sig != "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=" {
		t.Fatalf("signature %s", sig)
	}
}

func TestV2StringToSign(t *testing.T) {
	r, _ := http.NewRequest("PUT", "http://h/b/k%20x?tagging&versionId=v%2B1&x-id=PutObject", nil)
	r.RequestURI = "/b/k%20x?tagging&versionId=v%2B1&x-id=PutObject"
	r.Header.Set("Content-Type", "text/plain")
	r.Header.Set("Content-Md5", "md5==")
	r.Header.Set("X-Amz-Meta-B", " two ")
	r.Header.Add("X-Amz-Meta-B", "three")
	r.Header.Set("X-Amz-Date", "Tue, 27 Mar 2007 21:06:08 +0000")
	r.Header.Set("X-Amz-Meta-A", "one")
	got := stringToSignV2(r, parseQuery(r.URL.RawQuery), "")
	want := "PUT\nmd5==\ntext/plain\n\nx-amz-date:Tue, 27 Mar 2007 21:06:08 +0000\nx-amz-meta-a:one\nx-amz-meta-b:two,three\n/b/k%20x?tagging&versionId=v+1"
	if got != want {
		t.Fatalf("string to sign:\n%q\nwant\n%q", got, want)
	}
}

func TestV2Verify(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	v := &Verifier{Creds: testCreds(), Now: func() time.Time { return now }}
	srv := newServer(t, v)
	date := now.Format(http.TimeFormat)
	header := func(method, path, body string, mutate func(r *http.Request, sts *string)) *http.Request {
		r, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		r.Header.Set("Date", date)
		r.Header.Set("Content-Type", "application/octet-stream")
		sts := method + "\n\napplication/octet-stream\n" + date + "\n" + strings.SplitN(path, "?", 2)[0]
		if mutate != nil {
			mutate(r, &sts)
		}
		r.Header.Set("Authorization", "AWS "+testAccessKey+":"+signV2(testSecretKey, sts))
		return r
	}
	if o := do(t, header("PUT", "/b/k", "data", nil)); o.Code != "" || string(o.Body) != "data" || o.AccessKey != testAccessKey {
		t.Fatalf("valid V2 header: %+v", o)
	}
	// x-amz-date replaces Date; the Date line is then empty.
	r := header("GET", "/b/k?acl", "", func(r *http.Request, sts *string) {
		r.Header.Del("Date")
		r.Header.Set("X-Amz-Date", date)
		*sts = "GET\n\napplication/octet-stream\n\nx-amz-date:" + date + "\n/b/k?acl"
	})
	if o := do(t, r); o.Code != "" {
		t.Fatalf("V2 with x-amz-date: %+v", o)
	}
	// botocore signs a bucket request "/b" as "/b/".
	r = header("GET", "/b", "", func(r *http.Request, sts *string) { *sts += "/" })
	if o := do(t, r); o.Code != "" {
		t.Fatalf("V2 bucket request signed with a trailing slash: %+v", o)
	}
	presign := func(path string, expires int64, secret string) *http.Request {
		sts := "GET\n\n\n" + strconv.FormatInt(expires, 10) + "\n" + path
		u := srv.URL + path + "?AWSAccessKeyId=" + testAccessKey + "&Expires=" + strconv.FormatInt(expires, 10) +
			"&Signature=" + url.QueryEscape(signV2(secret, sts))
		r, _ := http.NewRequest("GET", u, nil)
		return r
	}
	if o := do(t, presign("/b/k", now.Unix()+60, testSecretKey)); o.Code != "" {
		t.Fatalf("valid V2 presigned: %+v", o)
	}
	failures := []struct {
		name string
		req  *http.Request
		code string
	}{
		{"wrong secret", header("PUT", "/b/k", "x", func(r *http.Request, sts *string) { *sts += "x" }), "SignatureDoesNotMatch"},
		{"tampered content type", func() *http.Request {
			r := header("PUT", "/b/k", "x", nil)
			r.Header.Set("Content-Type", "text/html")
			return r
		}(), "SignatureDoesNotMatch"},
		{"unknown key", func() *http.Request {
			r := header("PUT", "/b/k", "x", nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testAccessKey, "NOPE", 1))
			return r
		}(), "InvalidAccessKeyId"},
		{"skewed", header("PUT", "/b/k", "x", func(r *http.Request, sts *string) {
			d := now.Add(-20 * time.Minute).Format(http.TimeFormat)
			r.Header.Set("Date", d)
			*sts = strings.Replace(*sts, date, d, 1)
		}), "RequestTimeTooSkewed"},
		{"malformed", func() *http.Request {
			r := header("PUT", "/b/k", "x", nil)
			r.Header.Set("Authorization", "AWS "+testAccessKey)
			return r
		}(), "InvalidArgument"},
		{"bad base64", func() *http.Request {
			r := header("PUT", "/b/k", "x", nil)
			r.Header.Set("Authorization", "AWS "+testAccessKey+":!!!")
			return r
		}(), "SignatureDoesNotMatch"},
		{"presigned expired", presign("/b/k", now.Unix()-1, testSecretKey), "AccessDenied"},
		{"presigned wrong path", func() *http.Request {
			r := presign("/b/k", now.Unix()+60, testSecretKey)
			r.URL.Path = "/b/other"
			return r
		}(), "SignatureDoesNotMatch"},
		{"presigned bad expires", func() *http.Request {
			r, _ := http.NewRequest("GET", srv.URL+"/b/k?AWSAccessKeyId=a&Signature=b&Expires=soon", nil)
			return r
		}(), "AccessDenied"},
		{"presigned missing expires", func() *http.Request {
			r, _ := http.NewRequest("GET", srv.URL+"/b/k?AWSAccessKeyId=a&Signature=b", nil)
			return r
		}(), "AccessDenied"},
	}
	for _, f := range failures {
		if o := do(t, f.req); o.Code != f.code {
			t.Errorf("%s: %+v, want %s", f.name, o, f.code)
		}
	}
}

// FuzzParseV2 feeds arbitrary Authorization headers and query strings to
// the V2 parsers and string-to-sign builder; none may panic.
//
//	go test ./internal/auth -run '^$' -fuzz '^FuzzParseV2$' -fuzztime=20s
func FuzzParseV2(f *testing.F) {
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", "acl&versionId=1")
	f.Add("AWS :", "AWSAccessKeyId=a&Signature=b&Expires=1")
	f.Add("AWS a:b:c", "response-content-type=%ZZ&uploads")
	f.Fuzz(func(t *testing.T, authz, rawQuery string) {
		parseV2Header(authz)
		r, err := http.NewRequest("GET", "http://h/b/k", nil)
		if err != nil {
			return
		}
		r.URL.RawQuery = rawQuery
		r.RequestURI = "/b/k?" + rawQuery
		r.Header.Set("Authorization", authz)
		r.Header.Set("Date", time.Now().Format(http.TimeFormat))
		v := &Verifier{Creds: testCreds()}
		v.Authenticate(r)
	})
}

// TestV2VirtualHost: a virtual-host-style request is signed over
// "/bucket" + path (the S3 documentation's example uses this form).
func TestV2VirtualHost(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://awsexamplebucket1.s3.us-west-1.amazonaws.com/photos/puppy.jpg", nil)
	r.RequestURI = "/photos/puppy.jpg"
	r.Header.Set("Date", "Tue, 27 Mar 2007 19:36:42 +0000")
	r = WithVirtualHostBucket(r, "awsexamplebucket1")
	got := stringToSignV2(r, parseQuery(r.URL.RawQuery), r.Header.Get("Date"))
	if want := "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg"; got != want {
		t.Fatalf("string to sign %q, want %q", got, want)
	}
}
