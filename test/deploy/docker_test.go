package deploy_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anode/anode/internal/testutil"
)

// composeCommand returns the Compose tool: the docker-compose binary, or
// the `docker compose` plugin.
func composeCommand(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("docker-compose"); err == nil {
		return []string{"docker-compose"}
	}
	if _, err := run("", nil, "docker", "compose", "version"); err == nil {
		return []string{"docker", "compose"}
	}
	t.Fatal("neither docker-compose nor the docker compose plugin is installed")
	return nil
}

// waitHTTP polls url until it answers 200 or the deadline passes.
func waitHTTP(t *testing.T, url string, deadline time.Time) {
	t.Helper()
	if err := testutil.WaitHTTP(url, time.Until(deadline)); err != nil {
		t.Fatal(err)
	}
}

// TestDockerQuickStart builds the image with deploy/docker/build.sh, starts
// the Compose cluster on free host ports, and runs the quick start with the
// aws CLI against node 1; then reads through node 3, checks the membership
// every node reports, and writes and reads with node 2 stopped.
//
// It needs the Docker daemon and the aws CLI, which the project's machines
// and CI have, and fails if they are missing.
func TestDockerQuickStart(t *testing.T) {
	root := repoRoot(t)
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is needed (.ci/run installs it)")
	}
	if _, err := run(root, nil, "docker", "info", "--format", "{{.ServerVersion}}"); err != nil {
		t.Fatalf("the Docker daemon is needed: %v", err)
	}
	compose := composeCommand(t)

	var b [4]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	image := "anode-deploytest:" + suffix
	project := "anodedeploytest" + suffix

	// Nothing of the caller's environment may reach Compose's variables or
	// the aws CLI's configuration.
	base := environWithout("ANODE_", "AWS_", "IMAGE=", "BIND_ADDR=", "S3_PORT", "ADMIN_PORT", "COMPOSE_")

	start := time.Now()
	if _, err := run(root, base, "deploy/docker/build.sh", image); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := run(root, base, "docker", "rmi", image); err != nil {
			t.Errorf("removing the image: %v", err)
		}
	})
	t.Logf("image %s built in %v", image, time.Since(start).Round(time.Millisecond))

	p := freePorts(t, 6)
	s3Port := []int{p[0], p[2], p[4]}
	adminPort := []int{p[1], p[3], p[5]}
	// The compose file requires the root credentials and a cluster secret.
	const rootUser, rootPassword = "deploytest", "deploytest-password"
	env := append(slices.Clone(base), "IMAGE="+image,
		"ANODE_ROOT_USER="+rootUser, "ANODE_ROOT_PASSWORD="+rootPassword, "ANODE_CLUSTER_SECRET="+hex.EncodeToString(b[:])+strings.Repeat("0", 32),
		fmt.Sprintf("S3_PORT=%d", s3Port[0]), fmt.Sprintf("ADMIN_PORT=%d", adminPort[0]),
		fmt.Sprintf("S3_PORT_2=%d", s3Port[1]), fmt.Sprintf("ADMIN_PORT_2=%d", adminPort[1]),
		fmt.Sprintf("S3_PORT_3=%d", s3Port[2]), fmt.Sprintf("ADMIN_PORT_3=%d", adminPort[2]))
	composeRun := func(args ...string) (string, error) {
		all := append(slices.Clone(compose[1:]), "-p", project, "-f", filepath.Join(root, composePath))
		return run(root, env, compose[0], append(all, args...)...)
	}

	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := composeRun("logs", "--no-color")
			t.Logf("cluster logs:\n%s", logs)
		}
		if _, err := composeRun("down", "--volumes", "--remove-orphans"); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
	})
	start = time.Now()
	if _, err := composeRun("up", "-d"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for i := range 3 {
		waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/health", adminPort[i]), deadline)
	}
	for i := range 3 {
		waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/ready", adminPort[i]), deadline)
	}
	t.Logf("three nodes ready %v after up", time.Since(start).Round(time.Millisecond))

	// Every node sees the same three members, at the addresses of the
	// Compose file.
	for i := range 3 {
		var status struct {
			NodeID uint64 `json:"node_id"`
			Name   string `json:"name"`
			Nodes  []struct {
				ID   uint64 `json:"id"`
				Addr string `json:"addr"`
			} `json:"nodes"`
		}
		code, body, err := testutil.AdminDoAs(fmt.Sprintf("http://127.0.0.1:%d", adminPort[i]), http.MethodGet, "/cluster/status", rootUser, rootPassword)
		if err != nil || code != http.StatusOK {
			t.Fatalf("node %d: signed /cluster/status: %d %s %v", i+1, code, body, err)
		}
		if err := json.Unmarshal(body, &status); err != nil {
			t.Fatalf("node %d: /cluster/status: %v", i+1, err)
		}
		// Unsigned, it is refused.
		if code, _, _ := testutil.AdminDoAs(fmt.Sprintf("http://127.0.0.1:%d", adminPort[i]), http.MethodGet, "/cluster/status", "", ""); code != http.StatusUnauthorized {
			t.Errorf("node %d: unsigned /cluster/status answered %d, want 401", i+1, code)
		}
		if status.NodeID != uint64(i+1) || status.Name != fmt.Sprintf("anode-%d", i+1) {
			t.Errorf("node %d reports id %d name %q", i+1, status.NodeID, status.Name)
		}
		var got []string
		for _, n := range status.Nodes {
			got = append(got, fmt.Sprintf("%d=%s", n.ID, n.Addr))
		}
		if want := "1=anode-1:9090 2=anode-2:9090 3=anode-3:9090"; strings.Join(got, " ") != want {
			t.Errorf("node %d: members %v, want %s", i+1, got, want)
		}
	}

	// The quick start, as the docs give it, against node 1, with a home of
	// its own so that `aws configure set` leaves the machine's alone.
	home := t.TempDir()
	awsEnv := append(environWithout("AWS_", "HOME="), "HOME="+home,
		"AWS_CONFIG_FILE="+filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, ".aws", "credentials"))
	aws := func(args ...string) string {
		t.Helper()
		out, err := run(home, awsEnv, "aws", args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	endpoint := func(node int) string { return "http://localhost:" + strconv.Itoa(s3Port[node-1]) }
	aws("configure", "set", "aws_access_key_id", rootUser)
	aws("configure", "set", "aws_secret_access_key", rootPassword)
	aws("--endpoint-url", endpoint(1), "s3", "mb", "s3://my-bucket")
	if err := os.WriteFile(filepath.Join(home, "test.txt"), []byte("Hello, Anode!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	aws("--endpoint-url", endpoint(1), "s3", "cp", "test.txt", "s3://my-bucket/")
	aws("--endpoint-url", endpoint(1), "s3", "cp", "s3://my-bucket/test.txt", "downloaded.txt")
	expectFile(t, filepath.Join(home, "downloaded.txt"), "Hello, Anode!\n")

	// Any node serves any request.
	aws("--endpoint-url", endpoint(3), "s3", "cp", "s3://my-bucket/test.txt", "from-node-3.txt")
	expectFile(t, filepath.Join(home, "from-node-3.txt"), "Hello, Anode!\n")

	// The operations commands run in the image, which has no shell.
	out, err := composeRun("exec", "-T", "anode-1", "/anode", "admin", "status", "--addr", "http://localhost:8081")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"anode-1:9090", "anode-2:9090", "anode-3:9090"} {
		if !strings.Contains(out, name) {
			t.Errorf("anode admin status does not list %s:\n%s", name, out)
		}
	}

	// With one node down the other two keep a quorum of every group: a
	// write through node 1 is acknowledged and node 3 reads it back.
	if _, err := composeRun("stop", "anode-2"); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 6<<20) // more than one chunk
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(home, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	aws("--endpoint-url", endpoint(1), "s3", "cp", "--no-progress", "big.bin", "s3://my-bucket/big.bin")
	aws("--endpoint-url", endpoint(3), "s3", "cp", "--no-progress", "s3://my-bucket/big.bin", "big.down")
	expectFile(t, filepath.Join(home, "big.down"), string(big))
}

// expectFile fails unless the file at path holds want.
func expectFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		if len(want) > 100 {
			t.Fatalf("%s: %d bytes differ from the %d written", path, len(got), len(want))
		}
		t.Fatalf("%s = %q, want %q", path, got, want)
	}
}
