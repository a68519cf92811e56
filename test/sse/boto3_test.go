package sse

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// TestBoto3 runs sse_boto3.py against a server. python3 with boto3 is
// required: CI installs it (.ci/run); its absence fails the test.
func TestBoto3(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is not installed (%v): this test needs python3 with boto3", err)
	}
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("python3 cannot import boto3 (%v): install it (pip install boto3)\n%s", err, out)
	}
	srv, _ := start(t, false)
	createKey(t, srv, "boto-key")
	cmd := exec.Command(python, "sse_boto3.py")
	cmd.Env = append(os.Environ(),
		"ANODE_ENDPOINT="+srv.Endpoint,
		"AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sse_boto3.py: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}
