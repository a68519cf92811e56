package iam_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/audit"
	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/testutil"
)

// TestAuditLog runs a scripted session (root, an IAM user allowed and
// denied, an explicit deny, anonymous, a bad signature, admin calls) and
// reads the audit file back: every request is there with the right
// principal, decision and deciding statement.
func TestAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit", "audit.log")
	srv := testutil.Start(t, testutil.Options{Configure: func(c *config.Config) { c.Audit.File = path }})
	root := clientAs(srv.Endpoint, testutil.AccessKey, testutil.SecretKey)
	adm := rootAdmin(srv.AdminURL)
	if _, err := root.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: aws.String("logged")}); err != nil {
		t.Fatal(err)
	}
	mustAdmin(t, adm, "PUT", "/admin/policies/guard", []byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"Everything","Effect":"Allow","Action":"s3:*","Resource":"*"},
		{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::logged/secret/*"}]}`), nil)
	user, k := newUserKey(t, adm, srv.Endpoint, "auditee", "guard")
	if err := put(user, "logged", "open.txt", "hello"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "denied put", put(user, "logged", "secret/x", "x"), "AccessDenied")
	reader, _ := newUserKey(t, adm, srv.Endpoint, "nopolicy")
	_, err := get(reader, "logged", "open.txt")
	wantCode(t, "implicit deny", err, "AccessDenied")
	anon(t, "GET", srv.Endpoint+"/logged/open.txt", "")
	_, err = get(clientAs(srv.Endpoint, k.AccessKey, "wrong-secret"), "logged", "open.txt")
	wantCode(t, "bad signature", err, "SignatureDoesNotMatch")
	mustAdmin(t, adm, "DELETE", "/admin/users/nopolicy", nil, nil)

	// An entry is written when its request's handler returns, which can be
	// just after the client has read the answer: poll for the last ones.
	var entries []audit.Entry
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries = readAudit(t, path)
		if len(entries) >= 12 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	find := func(what string, match func(e audit.Entry) bool) audit.Entry {
		t.Helper()
		for _, e := range entries {
			if match(e) {
				return e
			}
		}
		t.Fatalf("no audit entry for %s in:\n%+v", what, entries)
		return audit.Entry{}
	}
	e := find("root CreateBucket", func(e audit.Entry) bool { return e.Operation == "CreateBucket" })
	if e.Principal != "root" || e.Decision != "root" || e.Status != 200 || e.Kind != "s3" || e.RequestID == "" || e.SourceIP != "127.0.0.1" {
		t.Errorf("CreateBucket entry: %+v", e)
	}
	e = find("allowed put", func(e audit.Entry) bool { return e.Operation == "PutObject" && e.Key == "open.txt" })
	if e.Principal != "auditee" || e.AccessKey != k.AccessKey || e.Decision != "allow" || e.Statement != "guard#Everything" || e.Status != 200 || e.BytesIn != 5 {
		t.Errorf("allowed put entry: %+v", e)
	}
	e = find("denied put", func(e audit.Entry) bool { return e.Operation == "PutObject" && e.Key == "secret/x" })
	if e.Principal != "auditee" || e.Decision != "deny" || e.Statement != "guard#NoSecrets" || e.Status != 403 || e.Error != "AccessDenied" {
		t.Errorf("denied put entry: %+v", e)
	}
	e = find("implicit deny", func(e audit.Entry) bool { return e.Principal == "nopolicy" && e.Operation == "GetObject" })
	if e.Decision != "implicit-deny" || e.Statement != "" || e.Status != 403 {
		t.Errorf("implicit deny entry: %+v", e)
	}
	e = find("anonymous", func(e audit.Entry) bool { return e.Principal == "anonymous" })
	if e.Operation != "GetObject" || e.Decision != "implicit-deny" || e.Status != 403 {
		t.Errorf("anonymous entry: %+v", e)
	}
	e = find("bad signature", func(e audit.Entry) bool { return e.Error == "SignatureDoesNotMatch" })
	if e.Principal != "" || e.Status != 403 {
		t.Errorf("bad signature entry: %+v", e)
	}
	e = find("admin create user", func(e audit.Entry) bool { return e.Kind == "admin" && e.Operation == "POST /admin/users" })
	if e.Principal != "root" || e.AccessKey != testutil.AccessKey || e.Status != 201 {
		t.Errorf("admin entry: %+v", e)
	}
	find("admin delete user", func(e audit.Entry) bool {
		return e.Kind == "admin" && e.Path == "/admin/users/nopolicy" && e.Status == 204
	})
	// A refused admin call is logged too.
	anon(t, "POST", srv.AdminURL+"/admin/users", `{"name":"x"}`)
	deadline = time.Now().Add(5 * time.Second)
	for {
		found := false
		for _, e := range readAudit(t, path) {
			found = found || (e.Kind == "admin" && e.Status == 401 && e.Principal == "" && e.Operation == "POST /admin/users")
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("refused admin call not in the audit log")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readAudit(t *testing.T, path string) []audit.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []audit.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}
