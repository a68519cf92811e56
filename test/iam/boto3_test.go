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

// TestBoto3 runs boto3_iam.py as two users (read-only on one bucket,
// read-write), through boto3's V4 client, its default (V2) presigned URLs,
// V2 header signing, POST uploads and a bucket policy serving anonymous
// requests: against one anode process, and against a 3-node cluster with
// the users made through node 1 and the script talking to node 3.
// python3 with boto3, and curl, are required; the test fails when they are
// missing.
func TestBoto3(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is not installed: %v", err)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl is not installed: %v", err)
	}
	t.Run("server", func(t *testing.T) {
		p := testutil.StartProcess(t, testutil.BuildAnode(t), t.TempDir())
		runBoto3(t, py, p.AdminURL, p.Endpoint)
	})
	t.Run("cluster", func(t *testing.T) {
		c := testutil.StartCluster(t, 3)
		runBoto3(t, py, c.Nodes[0].AdminURL, c.Nodes[2].Endpoint)
	})
}

// runBoto3 makes the buckets and users through adminURL and runs the
// script against endpoint.
func runBoto3(t *testing.T, py, adminURL, endpoint string) {
	root := clientAs(endpoint, testutil.AccessKey, testutil.SecretKey)
	for _, b := range []string{"alpha", "beta"} {
		if _, err := root.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: &b}); err != nil {
			t.Fatal(err)
		}
		if err := put(root, b, "seed.txt", "seed of "+b); err != nil {
			t.Fatal(err)
		}
	}
	adm := rootAdmin(adminURL)
	_, rk := newUserKey(t, adm, endpoint, "reader", "readonly:alpha")
	_, wk := newUserKey(t, adm, endpoint, "writer", "readwrite")

	home := t.TempDir()
	cmd := exec.Command(py, "boto3_iam.py")
	cmd.Env = []string{
		"HOME=" + home, "AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + testutil.AccessKey, "AWS_SECRET_ACCESS_KEY=" + testutil.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true", "ANODE_ENDPOINT=" + endpoint,
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
