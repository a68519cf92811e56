package security

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/anode/anode/internal/testutil"
)

// TestClusterRefusesUnsafeSettings: a node configured as part of a cluster
// of more than one node refuses to start without peer credentials, or with
// the default root credentials, and says what to set.
func TestClusterRefusesUnsafeSettings(t *testing.T) {
	bin := testutil.BuildAnode(t)
	members := "127.81.4.1:9090,127.81.4.2:9090,127.81.4.3:9090"
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"no secret", []string{"ANODE_ROOT_USER=admin", "ANODE_ROOT_PASSWORD=a-long-password"},
			[]string{"--initial-members", members}, []string{"cluster.secret", "ANODE_CLUSTER_SECRET"}},
		{"default credentials", []string{"ANODE_CLUSTER_SECRET=" + testutil.NewSecret()},
			[]string{"--initial-members", members}, []string{"minioadmin", "ANODE_ROOT_USER", "ANODE_ROOT_PASSWORD"}},
		{"join without proof", []string{"ANODE_ROOT_USER=admin", "ANODE_ROOT_PASSWORD=a-long-password"},
			[]string{"--join", "127.81.4.1:9090"}, []string{"cluster.secret", "--join-token"}},
		{"short secret", []string{"ANODE_ROOT_USER=admin", "ANODE_ROOT_PASSWORD=a-long-password", "ANODE_CLUSTER_SECRET=short"},
			[]string{"--initial-members", members}, []string{"cluster.secret", "32"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			args := append([]string{"server", "--data-dir", t.TempDir(), "--node-id", "1", "--grpc-addr", "127.81.4.1:0",
				"--s3-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}, tc.args...)
			cmd := exec.CommandContext(ctx, bin, args...)
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "ANODE_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, tc.env...)
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil || err == nil {
				t.Fatalf("the node did not refuse to start (%v):\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("the refusal does not mention %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestAdminEndpoints checks what is open on the admin port: /health and
// /ready always, /metrics unless metrics.auth is bearer (then only with the
// token), and pprof only signed by the root credentials.
func TestAdminEndpoints(t *testing.T) {
	bin := testutil.BuildAnode(t)
	const token = "a-metrics-token-0123456789"
	p := testutil.StartProcess(t, bin, t.TempDir(), "--set", "metrics.auth=bearer", "--set", "metrics.bearer_token="+token,
		"--set", "metrics.enable_pprof=true")
	get := func(path, authz string) int {
		req, _ := http.NewRequest(http.MethodGet, p.AdminURL+path, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		path, authz string
		want        int
	}{
		{"/health", "", 200},
		{"/ready", "", 200},
		{"/metrics", "", 401},
		{"/metrics", "Bearer wrong-token-0123456789", 401},
		{"/metrics", "Bearer " + token, 200},
		{"/debug/pprof/", "", 401},
		{"/debug/pprof/", "Bearer " + token, 403},
		{"/cluster/status", "Bearer " + token, 403},
	} {
		if got := get(c.path, c.authz); got != c.want {
			t.Errorf("GET %s with %q: %d, want %d", c.path, c.authz, got, c.want)
		}
	}
	if code, _, err := testutil.AdminDo(p.AdminURL, http.MethodGet, "/debug/pprof/"); err != nil || code != 200 {
		t.Errorf("signed GET /debug/pprof/: %d %v, want 200", code, err)
	}
}
