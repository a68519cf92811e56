package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// helmModule is the helm the chart is rendered with. `go run` builds it from
// the Go module proxy the first time (a few minutes) and then runs it from
// the build cache; it does not touch this module's go.mod.
const helmModule = "helm.sh/helm/v3/cmd/helm@v3.22.0"

var helmBuild struct {
	once sync.Once
	path string
	err  error
}

// helm runs the pinned helm with args. It is installed once per test binary
// into helmDir, outside this module and with no GOFLAGS that could apply to
// it.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	helmBuild.once.Do(func() {
		env := append(environWithout("GOFLAGS=", "GOBIN="), "GOFLAGS=", "GOBIN="+helmDir)
		_, helmBuild.err = run(helmDir, env, "go", "install", helmModule)
		helmBuild.path = filepath.Join(helmDir, "helm")
	})
	if helmBuild.err != nil {
		t.Fatalf("installing %s: %v", helmModule, helmBuild.err)
	}
	home := t.TempDir()
	env := append(environWithout("HELM_"), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	return run(home, env, helmBuild.path, args...)
}

// TestHelmChart renders the chart with its defaults and with a few values
// set, and checks the result as it checks the plain manifests.
func TestHelmChart(t *testing.T) {
	chart := filepath.Join(repoRoot(t), "deploy/helm/anode")
	if out, err := helm(t, "lint", "--strict", chart); err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}

	render := func(t *testing.T, release string, set ...string) manifests {
		t.Helper()
		args := []string{"template", release, chart, "--namespace", "storage", "--kube-version", "1.30.0"}
		for _, s := range set {
			args = append(args, "--set", s)
		}
		out, err := helm(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		return parseManifests(t, []byte(out))
	}

	t.Run("defaults", func(t *testing.T) {
		m := render(t, "anode")
		pw := m.secrets["anode-credentials"]["root-password"]
		if len(pw) < 8 {
			t.Errorf("generated root password %q is shorter than 8", pw)
		}
		checkKubernetes(t, m, kubeWant{namespace: "storage", name: "anode", replicas: 3, image: "anode:latest", rootUser: "admin"})
	})

	t.Run("five nodes and settings", func(t *testing.T) {
		m := render(t, "store", "replicaCount=5", "image.repository=registry.example/anode", "image.tag=v1.2.3",
			"credentials.rootUser=root", "credentials.rootPassword=a-long-secret",
			"extraEnv[0].name=ANODE_STORAGE_CHUNK_SIZE", "extraEnv[0].value=8MiB")
		if got := m.secrets["store-anode-credentials"]["root-password"]; got != "a-long-secret" {
			t.Errorf("root password %q, want the one set", got)
		}
		checkKubernetes(t, m, kubeWant{namespace: "storage", name: "store-anode", replicas: 5, image: "registry.example/anode:v1.2.3", rootUser: "root"})
		env, err := podEnv(t, m, m.statefulSets[0], "storage", 4)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := loadNodeConfig(env)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Storage.ChunkSize != 8<<20 {
			t.Errorf("extraEnv: chunk size %d, want 8MiB", cfg.Storage.ChunkSize)
		}
	})

	t.Run("existing secret", func(t *testing.T) {
		m := render(t, "anode", "credentials.existingSecret=my-credentials")
		if len(m.secrets) != 0 {
			t.Errorf("the chart rendered Secrets %v beside an existing one", m.secrets)
		}
		m.secrets["my-credentials"] = map[string]string{"root-user": "ops", "root-password": "a-long-secret",
			"cluster-secret": "0123456789abcdef0123456789abcdef"}
		checkKubernetes(t, m, kubeWant{namespace: "storage", name: "anode", replicas: 3, image: "anode:latest", rootUser: "ops"})
	})

	// Values the server would refuse are refused at render time.
	for _, bad := range []struct{ set, want string }{
		{"credentials.rootPassword=short", "at least 8 characters"},
		{"credentials.rootUser=ab", "at least 3 characters"},
		{"replicaCount=0", "replicaCount must be at least 1"},
		{"cluster.replicationFactor=8", "between 1 and 7"},
	} {
		out, err := helm(t, "template", "anode", chart, "--kube-version", "1.30.0", "--set", bad.set)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("--set %s: want an error with %q, got %v\n%s", bad.set, bad.want, err, out)
		}
	}
	// Before 1.28 pods have no pod-index label, and every node would take
	// the default id 1.
	if _, err := helm(t, "template", "anode", chart, "--kube-version", "1.27.0"); err == nil || !strings.Contains(err.Error(), "kubeVersion") {
		t.Errorf("rendering for Kubernetes 1.27: want a kubeVersion error, got %v", err)
	}
}

// TestHelmChartMatchesManifests checks that the chart's defaults and the
// plain manifests describe the same node: same variables, same probes and
// ports, so that the two do not drift apart.
func TestHelmChartMatchesManifests(t *testing.T) {
	chart := filepath.Join(repoRoot(t), "deploy/helm/anode")
	out, err := helm(t, "template", "anode", chart, "--namespace", "storage", "--kube-version", "1.30.0")
	if err != nil {
		t.Fatal(err)
	}
	fromChart := parseManifests(t, []byte(out)).statefulSets[0].Spec.Template.Spec.Containers[0]
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy/kubernetes/statefulset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	plain := parseManifests(t, data).statefulSets[0].Spec.Template.Spec.Containers[0]

	names := func(c container) map[string]bool {
		set := map[string]bool{}
		for _, e := range c.Env {
			if strings.HasPrefix(e.Name, "ANODE_") {
				set[e.Name] = true
			}
		}
		return set
	}
	// The chart sets the listen addresses and the placement groups and log
	// level explicitly, from its values; the manifests leave the defaults.
	chartOnly := map[string]bool{"ANODE_NODE_S3_ADDR": true, "ANODE_NODE_ADMIN_ADDR": true, "ANODE_NODE_GRPC_ADDR": true,
		"ANODE_CLUSTER_PLACEMENT_GROUPS": true, "ANODE_LOGGING_LEVEL": true}
	c, p := names(fromChart), names(plain)
	for n := range c {
		if !p[n] && !chartOnly[n] {
			t.Errorf("the chart sets %s, the manifests do not", n)
		}
	}
	for n := range p {
		if !c[n] {
			t.Errorf("the manifests set %s, the chart does not", n)
		}
	}
	if *fromChart.ReadinessProbe.HTTPGet != *plain.ReadinessProbe.HTTPGet || *fromChart.LivenessProbe.HTTPGet != *plain.LivenessProbe.HTTPGet {
		t.Errorf("probes differ: chart %+v %+v, manifests %+v %+v", *fromChart.ReadinessProbe.HTTPGet, *fromChart.LivenessProbe.HTTPGet,
			*plain.ReadinessProbe.HTTPGet, *plain.LivenessProbe.HTTPGet)
	}
	if len(fromChart.Ports) != len(plain.Ports) {
		t.Errorf("ports differ: chart %+v, manifests %+v", fromChart.Ports, plain.Ports)
	}
	for i := range min(len(fromChart.Ports), len(plain.Ports)) {
		if fromChart.Ports[i] != plain.Ports[i] {
			t.Errorf("port %d differs: chart %+v, manifests %+v", i, fromChart.Ports[i], plain.Ports[i])
		}
	}
}
