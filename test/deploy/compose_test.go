package deploy_test

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/anode/anode/internal/server"
)

const composePath = "deploy/docker/docker-compose.yml"

// composeFile holds the parts of a Compose file the checks read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Hostname    string            `yaml:"hostname"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	ReadOnly    bool              `yaml:"read_only"`
	Command     any               `yaml:"command"`
	Entrypoint  any               `yaml:"entrypoint"`
}

// interpolate substitutes ${VAR} and ${VAR:-default} as Compose does, with
// the variables in vars.
func interpolate(s string, vars map[string]string) string {
	v, _ := interpolateRequired(s, vars)
	return v
}

// interpolateRequired is interpolate that also reports the variables
// written ${NAME:?message} that are unset or empty, which make Compose
// stop with the message.
func interpolateRequired(s string, vars map[string]string) (string, []string) {
	var missing []string
	out := os.Expand(s, func(expr string) string {
		if name, msg, ok := strings.Cut(expr, ":?"); ok {
			if vars[name] == "" {
				missing = append(missing, name+": "+msg)
			}
			return vars[name]
		}
		name, def, hasDef := strings.Cut(expr, ":-")
		if v := vars[name]; v != "" || !hasDef {
			return v
		}
		return def
	})
	return out, missing
}

// publishedPort returns the host port that a "[ip:]host:container" port
// mapping publishes container port container on, or "".
func publishedPort(mappings []string, container string) string {
	for _, m := range mappings {
		parts := strings.Split(strings.TrimSuffix(m, "/tcp"), ":")
		if len(parts) >= 2 && parts[len(parts)-1] == container {
			return parts[len(parts)-2]
		}
	}
	return ""
}

// TestComposeCluster checks the three-node Compose file: each node's
// environment is accepted by the server's configuration loader and gives it
// the node id of its position in the member list, every member is the name
// of a service (which Compose resolves on the project network), each node
// has its own volume on /data, and the published ports are distinct, with
// node 1 on 8080 (S3) and 8081 (admin) by default. The root credentials and
// the cluster secret are required: without them Compose refuses to start,
// and with them the server accepts the cluster (CheckClusterConfig).
func TestComposeCluster(t *testing.T) {
	required := map[string]string{"ANODE_ROOT_USER": "admin", "ANODE_ROOT_PASSWORD": "a-long-secret",
		"ANODE_CLUSTER_SECRET": "0123456789abcdef0123456789abcdef"}
	for _, tc := range []struct {
		name string
		vars map[string]string // Compose's variables, from the shell
	}{
		{"required settings", required},
		{"ports", map[string]string{"ANODE_ROOT_USER": "admin", "ANODE_ROOT_PASSWORD": "a-long-secret",
			"ANODE_CLUSTER_SECRET": "0123456789abcdef0123456789abcdef", "S3_PORT": "9000", "BIND_ADDR": "0.0.0.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkCompose(t, tc.vars) })
	}
	t.Run("without credentials or secret", func(t *testing.T) {
		var f composeFile
		decodeFile(t, composePath, &f)
		for name, svc := range f.Services {
			var missing []string
			for _, v := range svc.Environment {
				_, m := interpolateRequired(v, map[string]string{})
				missing = append(missing, m...)
			}
			slices.Sort(missing)
			if len(missing) != 3 || !strings.HasPrefix(missing[0], "ANODE_CLUSTER_SECRET") ||
				!strings.HasPrefix(missing[1], "ANODE_ROOT_PASSWORD") || !strings.HasPrefix(missing[2], "ANODE_ROOT_USER") {
				t.Errorf("%s: with nothing set, Compose would stop for %v; want the cluster secret and both credentials", name, missing)
			}
		}
	})
}

func checkCompose(t *testing.T, vars map[string]string) {
	var f composeFile
	decodeFile(t, composePath, &f)

	names := make([]string, 0, len(f.Services))
	for name := range f.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"anode-1", "anode-2", "anode-3"}; !slices.Equal(names, want) {
		t.Fatalf("services = %v, want %v", names, want)
	}

	var members []string
	hostPorts := map[string]string{}
	volumes := map[string]string{}
	for i, name := range names {
		svc := f.Services[name]
		id := uint64(i + 1)
		if svc.Hostname != name {
			t.Errorf("%s: hostname %q, want the service name", name, svc.Hostname)
		}
		if svc.Command != nil || svc.Entrypoint != nil {
			t.Errorf("%s: sets command or entrypoint; the image's `anode server` and the environment configure it", name)
		}
		if got := interpolate(svc.Image, vars); got != "anode:latest" {
			t.Errorf("%s: image %q, want anode:latest (built by deploy/docker/build.sh)", name, got)
		}
		if !svc.ReadOnly {
			t.Errorf("%s: read_only is not set; the server writes only to /data", name)
		}

		env := map[string]string{}
		for k, v := range svc.Environment {
			env[k] = interpolate(v, vars)
		}
		cfg, err := loadNodeConfig(env)
		if err != nil {
			t.Errorf("%s: the server refuses its environment: %v", name, err)
			continue
		}
		if members == nil {
			members = cfg.Cluster.InitialMembers
		}
		if len(members) != len(names) {
			t.Fatalf("%s: %d initial members %v for %d services", name, len(members), members, len(names))
		}
		checkMembership(t, name, cfg, id, members[i], members)
		if host, _, _ := net.SplitHostPort(members[i]); host != name {
			t.Errorf("%s: member %d is %s, not this service's name", name, id, members[i])
		}
		if cfg.Node.Name != name {
			t.Errorf("%s: node.name = %q, want %q", name, cfg.Node.Name, name)
		}
		if cfg.Storage.DataDir != "/data" {
			t.Errorf("%s: storage.data_dir = %q, want /data (the image's volume)", name, cfg.Storage.DataDir)
		}
		if user := vars["ANODE_ROOT_USER"]; user != "" && (cfg.RootUser != user || cfg.DefaultCredentials) {
			t.Errorf("%s: root user %q (default %v), want %q from the shell", name, cfg.RootUser, cfg.DefaultCredentials, user)
		}
		if cfg.Cluster.Secret != vars["ANODE_CLUSTER_SECRET"] {
			t.Errorf("%s: cluster.secret %q, want the shell's ANODE_CLUSTER_SECRET", name, cfg.Cluster.Secret)
		}
		if err := server.CheckClusterConfig(cfg); err != nil {
			t.Errorf("%s: the server would refuse to start: %v", name, err)
		}

		// Its own named volume on /data.
		var vol string
		for _, v := range svc.Volumes {
			if src, dst, _ := strings.Cut(v, ":"); dst == "/data" {
				vol = src
			}
		}
		if _, declared := f.Volumes[vol]; vol == "" || !declared {
			t.Errorf("%s: no named volume on /data (volumes %v)", name, svc.Volumes)
		} else if other, dup := volumes[vol]; dup {
			t.Errorf("%s and %s share the volume %s", other, name, vol)
		}
		volumes[vol] = name

		// The S3 and admin ports, published on distinct host ports.
		var ports []string
		for _, p := range svc.Ports {
			ports = append(ports, interpolate(p, vars))
		}
		for _, addr := range []string{cfg.Node.S3Addr, cfg.Node.AdminAddr} {
			_, port, _ := net.SplitHostPort(addr)
			hp := publishedPort(ports, port)
			if hp == "" {
				t.Errorf("%s: container port %s is not published (ports %v)", name, port, ports)
				continue
			}
			if other, dup := hostPorts[hp]; dup {
				t.Errorf("%s and %s publish the same host port %s", other, name, hp)
			}
			hostPorts[hp] = name
		}
		if i == 0 {
			s3, admin := vars["S3_PORT"], "8081"
			if s3 == "" {
				s3 = "8080"
			}
			if publishedPort(ports, "8080") != s3 || publishedPort(ports, "8081") != admin {
				t.Errorf("%s: ports %v, want S3 on host port %s and admin on %s", name, ports, s3, admin)
			}
		}
		bind := vars["BIND_ADDR"]
		if bind == "" {
			bind = "127.0.0.1"
		}
		for _, p := range ports {
			if !strings.HasPrefix(p, bind+":") {
				t.Errorf("%s: port %s is not published on %s", name, p, bind)
			}
		}
	}
}

// TestDockerfile checks that the image needs nothing pulled and matches what
// Compose and Kubernetes expect of it.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy/docker/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	instr := map[string][]string{}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		instr[strings.ToUpper(word)] = append(instr[strings.ToUpper(word)], strings.TrimSpace(rest))
	}
	want := map[string][]string{
		"FROM":       {"scratch"},
		"VOLUME":     {"/data"},
		"ENTRYPOINT": {`["/anode", "server"]`},
		"EXPOSE":     {"8080 8081 9090"},
		"ENV":        {"ANODE_STORAGE_DATA_DIR=/data"},
		"USER":       {"65532:65532"},
	}
	for word, w := range want {
		if got := instr[word]; !slices.Equal(got, w) {
			t.Errorf("Dockerfile %s = %q, want %q", word, got, w)
		}
	}
	// /data must belong to the user the server runs as, or a new volume is
	// not writable.
	chown := regexp.MustCompile(`^--chown=65532:65532 \S+ /data/?$`)
	if !slices.ContainsFunc(instr["COPY"], chown.MatchString) {
		t.Errorf("Dockerfile COPY %q: none creates /data owned by 65532", instr["COPY"])
	}
}
