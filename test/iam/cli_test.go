package iam_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/testutil"
)

// TestCLI drives `anode admin user|key|group|policy|credential` against a
// real process and checks the effect with an S3 client.
func TestCLI(t *testing.T) {
	bin := testutil.BuildAnode(t)
	p := testutil.StartProcess(t, bin, t.TempDir())
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"admin"}, args...)...)
		cmd.Env = append(os.Environ(), "ANODE_ROOT_USER="+testutil.AccessKey, "ANODE_ROOT_PASSWORD="+testutil.SecretKey)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("anode admin %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	addr := "--addr=" + p.AdminURL
	root := clientAs(p.Endpoint, testutil.AccessKey, testutil.SecretKey)
	if _, err := root.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: aws.String("logs")}); err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(policy, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::logs/*"}]}`), 0o600)
	run("policy", "put", addr, "logwriter", policy)
	run("group", "create", addr, "shippers", "--policy", "logwriter")
	run("user", "create", "shipper1", addr)
	run("group", "add", addr, "shippers", "shipper1")
	var k iam.NewKey
	if err := json.Unmarshal([]byte(run("key", "create", addr, "shipper1", "--description", "ci", "--expires-in", "24h")), &k); err != nil {
		t.Fatal(err)
	}
	if k.SecretKey == "" || k.Description != "ci" || k.Expires.IsZero() {
		t.Fatalf("key create printed %+v", k)
	}
	c := clientAs(p.Endpoint, k.AccessKey, k.SecretKey)
	if err := put(c, "logs", "a.log", "line"); err != nil {
		t.Fatalf("put with the CLI-made key: %v", err)
	}
	if out := run("user", "show", addr, "shipper1"); !strings.Contains(out, `"shippers"`) {
		t.Fatalf("user show: %s", out)
	}
	if out := run("key", "list", addr, "shipper1"); !strings.Contains(out, k.AccessKey) || strings.Contains(out, k.SecretKey) {
		t.Fatalf("key list (must show the key, never the secret): %s", out)
	}
	run("key", "delete", addr, k.AccessKey)
	wantCode(t, "put with the deleted key", put(c, "logs", "b.log", "line"), "InvalidAccessKeyId")

	var cred iam.NewKey
	if err := json.Unmarshal([]byte(run("credential", "create", addr, "--permission", "read", "--bucket", "logs")), &cred); err != nil {
		t.Fatal(err)
	}
	if got, err := get(clientAs(p.Endpoint, cred.AccessKey, cred.SecretKey), "logs", "a.log"); err != nil || got != "line" {
		t.Fatalf("read credential: %q %v", got, err)
	}
	run("credential", "delete", addr, cred.AccessKey)

	// Without root credentials the CLI refuses before sending anything.
	cmd := exec.Command(bin, "admin", "user", "list", addr)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("user list without credentials succeeded: %s", out)
	}
}
