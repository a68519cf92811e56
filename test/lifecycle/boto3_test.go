package lifecycle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anode/anode/internal/testutil"
)

// TestBoto3ObjectLock runs boto3_objectlock.py against the anode binary.
// python3 and boto3 are required: the test fails without them.
func TestBoto3ObjectLock(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is not installed: %v", err)
	}
	p := testutil.StartProcess(t, testutil.BuildAnode(t), t.TempDir())
	home := t.TempDir()
	cfg := filepath.Join(home, "config")
	if err := os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "boto3_objectlock.py")
	cmd.Env = []string{"HOME=" + home, "AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + testutil.AccessKey, "AWS_SECRET_ACCESS_KEY=" + testutil.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true", "ANODE_ENDPOINT=" + p.Endpoint}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "PYENV") || strings.HasPrefix(kv, "LANG=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "passed, 0 failed") {
		t.Fatalf("boto3 script output:\n%s", out)
	}
}
