package objectmodel

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anode/anode/internal/testutil"
)

// tool returns the path of an external client the tests need. CI installs
// them; a machine without them fails the test rather than skipping it.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: %v", name, err)
	}
	return p
}

// cliEnv is the environment of the aws CLI and boto3: the test
// credentials, and a HOME and config files of their own so that nothing
// of the user's configuration leaks in.
func cliEnv(t *testing.T, endpoint string) []string {
	home := t.TempDir()
	cfg := filepath.Join(home, "config")
	os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n"), 0o600)
	env := []string{
		"HOME=" + home, "AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + testutil.AccessKey, "AWS_SECRET_ACCESS_KEY=" + testutil.SecretKey,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "ANODE_ENDPOINT=" + endpoint,
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "PYENV") || strings.HasPrefix(kv, "LANG=") {
			env = append(env, kv)
		}
	}
	return env
}

// runAWS runs the aws CLI against endpoint and returns its output.
func runAWS(t *testing.T, endpoint string, args ...string) string {
	t.Helper()
	full := append([]string{"--endpoint-url", endpoint}, args...)
	if args[0] == "s3" && (args[1] == "cp" || args[1] == "sync") {
		full = append(full, "--no-progress")
	}
	cmd := exec.Command(tool(t, "aws"), full...)
	cmd.Env = cliEnv(t, endpoint)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// writePattern writes a file of size bytes in which every 8-byte word is
// its own offset: no two chunks or parts are alike, so a part out of
// place or a chunk read twice shows up in the comparison.
func writePattern(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 4<<20)
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		for i := 0; i < len(buf); i += 8 {
			binary.LittleEndian.PutUint64(buf[i:], uint64(off)+uint64(i))
		}
		n := min(int64(len(buf)), size-off)
		if _, err := w.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// sameFiles compares two files by streaming them.
func sameFiles(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		if ea != nil || eb != nil {
			return ea == eb || (ea == io.ErrUnexpectedEOF && eb == io.ErrUnexpectedEOF)
		}
	}
}

// TestAWSCLI runs the aws CLI against the anode binary: a 2 GiB file
// uploaded (in 8 MiB parts) and downloaded byte-identical, and a sync of a
// directory tree that transfers nothing the second time.
func TestAWSCLI(t *testing.T) {
	tool(t, "aws")
	bin := testutil.BuildAnode(t)
	p := testutil.StartProcess(t, bin, t.TempDir())
	dir := t.TempDir()
	runAWS(t, p.Endpoint, "s3", "mb", "s3://cli")

	big := filepath.Join(dir, "big.bin")
	writePattern(t, big, 2<<30)
	runAWS(t, p.Endpoint, "s3", "cp", big, "s3://cli/big.bin")
	head := runAWS(t, p.Endpoint, "s3api", "head-object", "--bucket", "cli", "--key", "big.bin")
	if !strings.Contains(head, `"ContentLength": 2147483648`) || !strings.Contains(head, `-256\"`) {
		t.Fatalf("head-object of the 2 GiB upload:\n%s", head)
	}
	back := filepath.Join(dir, "back.bin")
	runAWS(t, p.Endpoint, "s3", "cp", "s3://cli/big.bin", back)
	if !sameFiles(t, big, back) {
		t.Fatal("the downloaded 2 GiB file differs from the uploaded one")
	}
	os.Remove(big)
	os.Remove(back)

	tree := filepath.Join(dir, "tree")
	for i := 0; i < 12; i++ {
		sub := filepath.Join(tree, fmt.Sprintf("d%d", i%3), fmt.Sprintf("e%d", i%2))
		os.MkdirAll(sub, 0o755)
		size := int64(100 * (i + 1))
		if i == 5 {
			size = 9 << 20 // above the CLI's multipart threshold
		}
		writePattern(t, filepath.Join(sub, fmt.Sprintf("f%d.dat", i)), size)
	}
	first := runAWS(t, p.Endpoint, "s3", "sync", tree, "s3://cli/tree/")
	if strings.Count(first, "upload:") != 12 {
		t.Fatalf("first sync:\n%s", first)
	}
	if second := runAWS(t, p.Endpoint, "s3", "sync", tree, "s3://cli/tree/"); strings.TrimSpace(second) != "" {
		t.Fatalf("second sync transferred something:\n%s", second)
	}
	down := filepath.Join(dir, "down")
	runAWS(t, p.Endpoint, "s3", "sync", "s3://cli/tree/", down)
	if again := runAWS(t, p.Endpoint, "s3", "sync", "s3://cli/tree/", down); strings.TrimSpace(again) != "" {
		t.Fatalf("second download sync transferred something:\n%s", again)
	}
	if !sameFiles(t, filepath.Join(tree, "d2", "e1", "f5.dat"), filepath.Join(down, "d2", "e1", "f5.dat")) {
		t.Fatal("synced file differs")
	}
}

// TestBoto3 runs boto3_objectmodel.py against the anode binary.
func TestBoto3(t *testing.T) {
	py := tool(t, "python3")
	bin := testutil.BuildAnode(t)
	p := testutil.StartProcess(t, bin, t.TempDir())
	cmd := exec.Command(py, "boto3_objectmodel.py")
	cmd.Env = cliEnv(t, p.Endpoint)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "passed, 0 failed") {
		t.Fatalf("boto3 script output:\n%s", out)
	}
	t.Logf("%s", out)
}
