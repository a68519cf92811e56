package iam_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/testutil"
)

// TestBoto3 runs boto3_iam.py against a real anode process: two users
// (read-only on one bucket, read-write), checked through boto3's V4
// client, its default (V2) presigned URLs, V2 header signing, and a
// bucket policy serving anonymous requests. python3 with boto3 is
// required; the test fails when it is missing.
func TestBoto3(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is not installed: %v", err)
	}
	bin := testutil.BuildAnode(t)
	p := testutil.StartProcess(t, bin, t.TempDir())
	root := clientAs(p.Endpoint, testutil.AccessKey, testutil.SecretKey)
	for _, b := range []string{"alpha", "beta"} {
		if _, err := root.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: &b}); err != nil {
			t.Fatal(err)
		}
		if err := put(root, b, "seed.txt", "seed of "+b); err != nil {
			t.Fatal(err)
		}
	}
	adm := rootAdmin(p.AdminURL)
	_, rk := newUserKey(t, adm, p.Endpoint, "reader", "readonly:alpha")
	_, wk := newUserKey(t, adm, p.Endpoint, "writer", "readwrite")

	home := t.TempDir()
	cmd := exec.Command(py, "boto3_iam.py")
	cmd.Env = []string{
		"HOME=" + home, "AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + testutil.AccessKey, "AWS_SECRET_ACCESS_KEY=" + testutil.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true", "ANODE_ENDPOINT=" + p.Endpoint,
		"READER_AK=" + rk.AccessKey, "READER_SK=" + rk.SecretKey, "WRITER_AK=" + wk.AccessKey, "WRITER_SK=" + wk.SecretKey,
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "PYENV") || strings.HasPrefix(kv, "LANG=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "passed, 0 failed") {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
