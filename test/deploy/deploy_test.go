// Package deploy_test checks the deployment artifacts under deploy/: the
// Docker image and Compose cluster (built and run for real, with the aws CLI
// quick start against it), the Kubernetes manifests and the Helm chart
// (rendered by a pinned helm and checked field by field).
//
// The checks that need no Docker feed each node's environment, as Compose or
// Kubernetes would build it, to the server's own configuration loader, so a
// misspelt variable or a bad value fails here as it would fail at start.
package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/anode/anode/internal/config"
)

// repoRoot returns the root of the work tree: the tests run in test/deploy.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from the test directory: %v", err)
	}
	return root
}

// decodeFile decodes the YAML file at path (relative to the repository root)
// into v.
func decodeFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// loadNodeConfig runs the server's configuration loader on a node's
// environment, given as a map, exactly as `anode server` with no flags would.
func loadNodeConfig(env map[string]string) (*config.Config, error) {
	environ := make([]string, 0, len(env))
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	return config.Load(nil, environ)
}

// checkMembership checks that a node's configuration puts it at the right
// place in the cluster: its node id is id, the id-th initial member is
// selfAddr (the address the other nodes dial), it listens for the cluster
// transport on that member's port, and the members are members.
func checkMembership(t *testing.T, who string, cfg *config.Config, id uint64, selfAddr string, members []string) {
	t.Helper()
	if cfg.Node.ID != id {
		t.Errorf("%s: node.id = %d, want %d", who, cfg.Node.ID, id)
	}
	if got := strings.Join(cfg.Cluster.InitialMembers, ","); got != strings.Join(members, ",") {
		t.Errorf("%s: cluster.initial_members = %s, want %s", who, got, strings.Join(members, ","))
	}
	if id < 1 || id > uint64(len(cfg.Cluster.InitialMembers)) {
		t.Errorf("%s: node.id %d is not the position of a member among %d", who, id, len(cfg.Cluster.InitialMembers))
		return
	}
	if got := cfg.Cluster.InitialMembers[id-1]; got != selfAddr {
		t.Errorf("%s: member %d is %s, want this node's own address %s", who, id, got, selfAddr)
	}
	_, listenPort, err := net.SplitHostPort(cfg.Node.GRPCAddr)
	if err != nil {
		t.Errorf("%s: node.grpc_addr %q: %v", who, cfg.Node.GRPCAddr, err)
		return
	}
	if _, selfPort, _ := net.SplitHostPort(selfAddr); listenPort != selfPort {
		t.Errorf("%s: listens for the cluster on port %s, but the others dial %s", who, listenPort, selfAddr)
	}
}

// freePorts returns n distinct TCP ports that are free on 127.0.0.1 now. They
// are held open until all are chosen so that no two are equal.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// run runs a command and returns its standard output; on failure the error
// holds both outputs.
func run(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\nstdout:\n%s\nstderr:\n%s",
			name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// environWithout returns the process environment less the variables whose
// names start with one of prefixes.
func environWithout(prefixes ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

// splitDocs decodes a stream of YAML documents into generic objects.
func splitDocs(data []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

// reencode turns a generic YAML object into a typed one.
func reencode(from map[string]any, to any) error {
	data, err := yaml.Marshal(from)
	if err != nil {
		return err
	}
	return yaml.Unmarshal(data, to)
}

// atoi is strconv.Atoi for values the test has already found to be numbers.
func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number: %v", s, err)
	}
	return n
}

// helmDir holds the helm binary the chart tests install.
var helmDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "anode-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helmDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
