package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"testing"
	"time"
)

func TestParsePostPolicy(t *testing.T) {
	p, err := ParsePostPolicy([]byte(`{"expiration":"2026-12-30T12:00:00.000Z","conditions":[
		{"bucket":"b"},["starts-with","$key","user/"],{"acl":"private"},["content-length-range",1,"1048576"],
		["eq","$Content-Type","image/jpeg"],{"x-amz-meta-n":7}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.LengthRange || p.MinLength != 1 || p.MaxLength != 1048576 || len(p.Conditions) != 5 {
		t.Fatalf("parsed %+v", p)
	}
	fields := map[string]string{"bucket": "b", "key": "user/a.jpg", "acl": "private", "content-type": "image/jpeg", "x-amz-meta-n": "7",
		"policy": "x", "x-amz-signature": "y", "x-ignore-me": "z"}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := p.Check(fields, now); err != nil {
		t.Fatalf("check: %v", err)
	}
	for name, change := range map[string][2]string{
		"wrong bucket":       {"bucket", "c"},
		"key prefix":         {"key", "other/a.jpg"},
		"exact value":        {"acl", "public-read"},
		"eq value":           {"content-type", "image/png"},
		"extra field":        {"x-amz-meta-other", "1"},
		"number as a string": {"x-amz-meta-n", "7.0"},
	} {
		f := map[string]string{}
		for k, v := range fields {
			f[k] = v
		}
		f[change[0]] = change[1]
		if err := p.Check(f, now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	delete(fields, "acl")
	if err := p.Check(fields, now); err == nil {
		t.Error("a missing field passed its condition")
	}
	if err := p.Check(fields, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("expired policy accepted")
	}
	for _, bad := range []string{
		`{`, `{"conditions":[]}`, `{"expiration":"tomorrow","conditions":[]}`,
		`{"expiration":"2026-12-30T12:00:00Z","conditions":[["gt","$key","a"]]}`,
		`{"expiration":"2026-12-30T12:00:00Z","conditions":[["eq","key","a"]]}`,
		`{"expiration":"2026-12-30T12:00:00Z","conditions":[{"a":"1","b":"2"}]}`,
		`{"expiration":"2026-12-30T12:00:00Z","conditions":[["content-length-range",10,1]]}`,
		`{"expiration":"2026-12-30T12:00:00Z","conditions":[["content-length-range",1.5,10]]}`,
		`{"expiration":"2026-12-30T12:00:00Z","conditions":[{"a":{"b":1}}]}`,
		`{"expiration":"2026-12-30T12:00:00Z","conditions":[],"extra":1}`,
	} {
		if _, err := ParsePostPolicy([]byte(bad)); err == nil {
			t.Errorf("%s: parsed", bad)
		}
	}
}

func TestVerifyPostForm(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	v := &Verifier{Creds: testCreds(), Now: func() time.Time { return now }}
	policy := base64.StdEncoding.EncodeToString([]byte(`{"expiration":"2026-12-02T00:00:00Z","conditions":[{"bucket":"b"}]}`))
	key := deriveSigningKey(testSecretKey, "20261201", "us-east-1")
	mac := hmacSHA256(key[:], []byte(policy))
	v4 := map[string]string{"policy": policy, "x-amz-algorithm": "AWS4-HMAC-SHA256",
		"x-amz-credential": testAccessKey + "/20261201/us-east-1/s3/aws4_request", "x-amz-date": "20261201T120000Z",
		"x-amz-signature": hex.EncodeToString(mac[:])}
	ak, p, err := v.VerifyPostForm(context.Background(), v4)
	if err != nil || ak != testAccessKey || p == nil {
		t.Fatalf("V4: %q %v %v", ak, p, err)
	}
	h := hmac.New(sha1.New, []byte(testSecretKey))
	h.Write([]byte(policy))
	v2 := map[string]string{"policy": policy, "awsaccesskeyid": testAccessKey, "signature": base64.StdEncoding.EncodeToString(h.Sum(nil))}
	if ak, _, err := v.VerifyPostForm(context.Background(), v2); err != nil || ak != testAccessKey {
		t.Fatalf("V2: %q %v", ak, err)
	}
	if ak, p, err := v.VerifyPostForm(context.Background(), map[string]string{"key": "k"}); ak != "" || p != nil || err != nil {
		t.Fatalf("anonymous form: %q %v %v", ak, p, err)
	}
	mutate := func(f map[string]string, k, val string) map[string]string {
		out := map[string]string{}
		for a, b := range f {
			out[a] = b
		}
		if val == "" {
			delete(out, k)
		} else {
			out[k] = val
		}
		return out
	}
	for name, tc := range map[string]struct {
		f    map[string]string
		code string
	}{
		"v4 bad signature":     {mutate(v4, "x-amz-signature", "00"), "SignatureDoesNotMatch"},
		"v4 other policy":      {mutate(v4, "policy", base64.StdEncoding.EncodeToString([]byte(`{"expiration":"2026-12-03T00:00:00Z","conditions":[]}`))), "SignatureDoesNotMatch"},
		"v4 unknown key":       {mutate(v4, "x-amz-credential", "NOPE/20261201/us-east-1/s3/aws4_request"), "InvalidAccessKeyId"},
		"v4 bad algorithm":     {mutate(v4, "x-amz-algorithm", "AWS4-HMAC-SHA1"), "InvalidArgument"},
		"v4 date mismatch":     {mutate(v4, "x-amz-date", "20261202T120000Z"), "AuthorizationQueryParametersError"},
		"v2 bad signature":     {mutate(v2, "signature", "AAAA"), "SignatureDoesNotMatch"},
		"signature, no policy": {mutate(v2, "policy", ""), "InvalidArgument"},
		"policy not base64":    {mutate(v2, "policy", "!!"), "InvalidPolicyDocument"},
	} {
		_, _, err := v.VerifyPostForm(context.Background(), tc.f)
		if code := codeOf(err); code != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
}

// FuzzParsePostPolicy feeds arbitrary documents to the POST policy parser
// and checks a form against whatever parses; neither may panic.
//
//	go test ./internal/auth -run '^$' -fuzz '^FuzzParsePostPolicy$' -fuzztime=20s
func FuzzParsePostPolicy(f *testing.F) {
	f.Add([]byte(`{"expiration":"2026-12-30T12:00:00.000Z","conditions":[{"bucket":"b"},["starts-with","$key",""],["content-length-range",0,10]]}`))
	f.Add([]byte(`{"expiration":"2026-12-30T12:00:00Z","conditions":[["eq","$Content-Type","a,b"],{"x":1}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := ParsePostPolicy(doc)
		if err != nil {
			return
		}
		p.Check(map[string]string{"bucket": "b", "key": "k", "content-type": "a, b"}, time.Now())
	})
}
