package deploy_test

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/anode/anode/internal/server"
)

// The parts of the Kubernetes objects the checks read.

type objectMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type statefulSet struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		ServiceName         string `yaml:"serviceName"`
		Replicas            int    `yaml:"replicas"`
		PodManagementPolicy string `yaml:"podManagementPolicy"`
		Ordinals            struct {
			Start int `yaml:"start"`
		} `yaml:"ordinals"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata objectMeta `yaml:"metadata"`
			Spec     podSpec    `yaml:"spec"`
		} `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata objectMeta `yaml:"metadata"`
		} `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

type podSpec struct {
	EnableServiceLinks *bool `yaml:"enableServiceLinks"`
	SecurityContext    struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
		RunAsUser    int  `yaml:"runAsUser"`
		FSGroup      int  `yaml:"fsGroup"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Ports   []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env          []envVar `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		FieldRef *struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type service struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		ClusterIP                string            `yaml:"clusterIP"`
		PublishNotReadyAddresses bool              `yaml:"publishNotReadyAddresses"`
		Selector                 map[string]string `yaml:"selector"`
		Ports                    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type secret struct {
	Metadata objectMeta        `yaml:"metadata"`
	Data     map[string]string `yaml:"data"`
}

type podDisruptionBudget struct {
	Spec struct {
		MaxUnavailable int `yaml:"maxUnavailable"`
		Selector       struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
	} `yaml:"spec"`
}

// manifests are the objects of one deployment, by kind.
type manifests struct {
	statefulSets []statefulSet
	services     []service
	pdbs         []podDisruptionBudget
	// secrets maps a Secret's name to its decoded data.
	secrets map[string]map[string]string
}

func parseManifests(t *testing.T, data []byte) manifests {
	t.Helper()
	docs, err := splitDocs(data)
	if err != nil {
		t.Fatal(err)
	}
	m := manifests{secrets: map[string]map[string]string{}}
	for _, doc := range docs {
		var err error
		switch doc["kind"] {
		case "StatefulSet":
			var s statefulSet
			err = reencode(doc, &s)
			m.statefulSets = append(m.statefulSets, s)
		case "Service":
			var s service
			err = reencode(doc, &s)
			m.services = append(m.services, s)
		case "PodDisruptionBudget":
			var p podDisruptionBudget
			err = reencode(doc, &p)
			m.pdbs = append(m.pdbs, p)
		case "Secret":
			var s secret
			if err = reencode(doc, &s); err == nil {
				data := map[string]string{}
				for k, v := range s.Data {
					b, derr := base64.StdEncoding.DecodeString(v)
					if derr != nil {
						t.Fatalf("secret %s key %s: %v", s.Metadata.Name, k, derr)
					}
					data[k] = string(b)
				}
				m.secrets[s.Metadata.Name] = data
			}
		default:
			t.Errorf("unexpected object of kind %v", doc["kind"])
		}
		if err != nil {
			t.Fatalf("%v: %v", doc["kind"], err)
		}
	}
	return m
}

// subset reports whether every label of sel is in labels.
func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

// envName turns a Service name into the prefix of the variables the kubelet
// sets for it, as in ANODE_SERVICE_HOST.
func envName(svc string) string {
	return strings.ToUpper(strings.ReplaceAll(svc, "-", "_"))
}

var dependentVar = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// podEnv builds the environment the kubelet gives the container of the pod
// with the given ordinal: the Service variables (unless service links are
// off), then the container's env in order, with fieldRef and secretKeyRef
// resolved and $(VAR) replaced by earlier variables.
func podEnv(t *testing.T, m manifests, sts statefulSet, ns string, ordinal int) (map[string]string, error) {
	t.Helper()
	podName := fmt.Sprintf("%s-%d", sts.Metadata.Name, ordinal)
	labels := maps.Clone(sts.Spec.Template.Metadata.Labels)
	labels["apps.kubernetes.io/pod-index"] = strconv.Itoa(ordinal)
	labels["statefulset.kubernetes.io/pod-name"] = podName

	env := map[string]string{}
	spec := sts.Spec.Template.Spec
	if spec.EnableServiceLinks == nil || *spec.EnableServiceLinks {
		for _, svc := range m.services {
			if svc.Spec.ClusterIP == "None" || len(svc.Spec.Ports) == 0 {
				continue
			}
			p := envName(svc.Metadata.Name)
			port := strconv.Itoa(svc.Spec.Ports[0].Port)
			env[p+"_SERVICE_HOST"] = "10.0.0.10"
			env[p+"_SERVICE_PORT"] = port
			env[p+"_PORT"] = "tcp://10.0.0.10:" + port
		}
	}
	for _, e := range spec.Containers[0].Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = dependentVar.ReplaceAllStringFunc(e.Value, func(ref string) string {
				if v, ok := env[ref[2:len(ref)-1]]; ok {
					return v
				}
				return ref
			})
		case e.ValueFrom.FieldRef != nil:
			switch path := e.ValueFrom.FieldRef.FieldPath; {
			case path == "metadata.name":
				env[e.Name] = podName
			case path == "metadata.namespace":
				env[e.Name] = ns
			case strings.HasPrefix(path, "metadata.labels['"):
				env[e.Name] = labels[strings.TrimSuffix(strings.TrimPrefix(path, "metadata.labels['"), "']")]
			default:
				return nil, fmt.Errorf("env %s: field %s not simulated", e.Name, path)
			}
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, ok := m.secrets[ref.Name][ref.Key]
			if !ok {
				return nil, fmt.Errorf("env %s: no key %s in secret %s", e.Name, ref.Key, ref.Name)
			}
			env[e.Name] = v
		default:
			return nil, fmt.Errorf("env %s: unsupported valueFrom", e.Name)
		}
	}
	return env, nil
}

// kubeWant is what a deployment is expected to give.
type kubeWant struct {
	namespace string
	name      string // of the StatefulSet and the pods' prefix
	replicas  int
	image     string
	rootUser  string // from the credentials Secret
}

// checkKubernetes checks a rendered deployment: a StatefulSet whose pods, as
// the kubelet would start them, each get a valid configuration with node id
// = ordinal = position of their own DNS name in the member list, a headless
// Service that names them, a client Service, a volume on the data directory,
// probes on the admin port and a disruption budget that keeps quorum.
func checkKubernetes(t *testing.T, m manifests, want kubeWant) {
	t.Helper()
	if len(m.statefulSets) != 1 {
		t.Fatalf("%d StatefulSets, want 1", len(m.statefulSets))
	}
	sts := m.statefulSets[0]
	spec := sts.Spec
	pod := spec.Template.Spec
	if sts.Metadata.Name != want.name {
		t.Errorf("StatefulSet %s, want %s", sts.Metadata.Name, want.name)
	}
	if spec.Replicas != want.replicas {
		t.Errorf("replicas = %d, want %d", spec.Replicas, want.replicas)
	}
	if spec.Ordinals.Start != 1 {
		t.Errorf("ordinals.start = %d, want 1: node ids start at 1", spec.Ordinals.Start)
	}
	if spec.PodManagementPolicy != "Parallel" {
		t.Errorf("podManagementPolicy = %q, want Parallel: a node is ready only with a quorum", spec.PodManagementPolicy)
	}
	if !subset(spec.Selector.MatchLabels, spec.Template.Metadata.Labels) {
		t.Errorf("selector %v does not select the pod labels %v", spec.Selector.MatchLabels, spec.Template.Metadata.Labels)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != want.image {
		t.Errorf("image %s, want %s", c.Image, want.image)
	}
	if len(c.Command) > 0 || len(c.Args) > 0 {
		t.Errorf("command %q args %q: the image's `anode server` and the environment configure the node", c.Command, c.Args)
	}
	if pod.SecurityContext.RunAsUser != 65532 || pod.SecurityContext.FSGroup != 65532 || !pod.SecurityContext.RunAsNonRoot {
		t.Errorf("pod securityContext %+v, want the image's user 65532 as user and fsGroup", pod.SecurityContext)
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}

	// The headless Service names the pods and publishes them before they
	// are ready.
	var headless, client *service
	for i, s := range m.services {
		switch {
		case s.Metadata.Name == spec.ServiceName:
			headless = &m.services[i]
		case s.Spec.ClusterIP != "None":
			client = &m.services[i]
		}
	}
	if headless == nil {
		t.Fatalf("no Service %s (the StatefulSet's serviceName)", spec.ServiceName)
	}
	if headless.Spec.ClusterIP != "None" || !headless.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s: clusterIP %q publishNotReadyAddresses %v, want None and true",
			headless.Metadata.Name, headless.Spec.ClusterIP, headless.Spec.PublishNotReadyAddresses)
	}
	if !subset(headless.Spec.Selector, spec.Template.Metadata.Labels) {
		t.Errorf("Service %s does not select the pods", headless.Metadata.Name)
	}
	clusterPort := 0
	for _, p := range headless.Spec.Ports {
		if p.TargetPort == "cluster" {
			clusterPort = p.Port
		}
	}
	if clusterPort == 0 || clusterPort != ports["cluster"] {
		t.Errorf("Service %s: cluster port %d, container port cluster %d", headless.Metadata.Name, clusterPort, ports["cluster"])
	}

	// The client Service publishes S3 only: the admin port is not for
	// clients (docs/security.md).
	if client == nil {
		t.Fatal("no client Service")
	}
	if !subset(client.Spec.Selector, spec.Template.Metadata.Labels) {
		t.Errorf("Service %s does not select the pods", client.Metadata.Name)
	}
	targets := map[string]bool{}
	for _, p := range client.Spec.Ports {
		if _, ok := ports[p.TargetPort]; !ok {
			t.Errorf("Service %s targets port %q, which the container does not name", client.Metadata.Name, p.TargetPort)
		}
		targets[p.TargetPort] = true
	}
	if !targets["s3"] || len(targets) != 1 {
		t.Errorf("Service %s targets %v, want s3 alone", client.Metadata.Name, targets)
	}

	// Probes on the admin port.
	for _, pr := range []struct {
		name string
		p    *probe
		path string
	}{{"readiness", c.ReadinessProbe, "/ready"}, {"liveness", c.LivenessProbe, "/health"}} {
		if pr.p == nil || pr.p.HTTPGet == nil || pr.p.HTTPGet.Path != pr.path || pr.p.HTTPGet.Port != "admin" {
			t.Errorf("%s probe %+v, want GET %s on the admin port", pr.name, pr.p, pr.path)
		}
	}

	// The disruption budget keeps a quorum of nodes.
	if len(m.pdbs) != 1 {
		t.Errorf("%d PodDisruptionBudgets, want 1", len(m.pdbs))
	} else if pdb := m.pdbs[0]; pdb.Spec.MaxUnavailable < 1 || pdb.Spec.MaxUnavailable > (want.replicas-1)/2 && want.replicas > 1 ||
		!subset(pdb.Spec.Selector.MatchLabels, spec.Template.Metadata.Labels) {
		t.Errorf("PodDisruptionBudget %+v: want it to select the pods and allow 1..%d down", pdb.Spec, (want.replicas-1)/2)
	}

	// Each pod, as the kubelet would start it.
	var members []string
	for ord := 1; ord <= want.replicas; ord++ {
		members = append(members, fmt.Sprintf("%s-%d.%s.%s.svc.cluster.local:%d",
			want.name, ord, spec.ServiceName, want.namespace, clusterPort))
	}
	for ord := 1; ord <= want.replicas; ord++ {
		podName := fmt.Sprintf("%s-%d", want.name, ord)
		env, err := podEnv(t, m, sts, want.namespace, ord)
		if err != nil {
			t.Errorf("%s: %v", podName, err)
			continue
		}
		cfg, err := loadNodeConfig(env)
		if err != nil {
			t.Errorf("%s: the server refuses its environment: %v", podName, err)
			continue
		}
		checkMembership(t, podName, cfg, uint64(ord), members[ord-1], members)
		if cfg.Node.Name != podName {
			t.Errorf("%s: node.name = %q", podName, cfg.Node.Name)
		}
		if cfg.RootUser != want.rootUser || cfg.DefaultCredentials {
			t.Errorf("%s: root user %q (default credentials %v), want %q from the Secret", podName, cfg.RootUser, cfg.DefaultCredentials, want.rootUser)
		}
		if cfg.Cluster.Secret == "" {
			t.Errorf("%s: no cluster.secret from the Secret", podName)
		}
		if err := server.CheckClusterConfig(cfg); err != nil {
			t.Errorf("%s: the server would refuse to start: %v", podName, err)
		}
		for _, l := range []struct{ addr, port string }{{cfg.Node.S3Addr, "s3"}, {cfg.Node.AdminAddr, "admin"}} {
			if _, p, _ := net.SplitHostPort(l.addr); p != strconv.Itoa(ports[l.port]) {
				t.Errorf("%s: listens on %s, container port %s is %d", podName, l.addr, l.port, ports[l.port])
			}
		}
		mounted := false
		for _, vm := range c.VolumeMounts {
			for _, vct := range spec.VolumeClaimTemplates {
				mounted = mounted || vm.Name == vct.Metadata.Name && vm.MountPath == cfg.Storage.DataDir
			}
		}
		if !mounted {
			t.Errorf("%s: data directory %s is not a volume claim template's mount", podName, cfg.Storage.DataDir)
		}
	}
}

// TestKubernetesManifests checks deploy/kubernetes, the objects its
// kustomization lists, with the credentials Secret its comment tells users
// to create.
func TestKubernetesManifests(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "deploy/kubernetes")
	var k struct {
		Resources []string `yaml:"resources"`
	}
	decodeFile(t, "deploy/kubernetes/kustomization.yaml", &k)
	var all []byte
	for _, r := range k.Resources {
		data, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, "\n---\n"...)
		all = append(all, data...)
	}
	m := parseManifests(t, all)
	m.secrets["anode-credentials"] = map[string]string{"root-user": "admin", "root-password": "a-long-secret",
		"cluster-secret": "0123456789abcdef0123456789abcdef"}
	checkKubernetes(t, m, kubeWant{namespace: "storage", name: "anode", replicas: 3, image: "anode:latest", rootUser: "admin"})
}

// TestKubernetesServiceLinks shows why the pods turn service links off: the
// kubelet's ANODE_SERVICE_HOST and the like for the Service named anode are
// refused by the server.
func TestKubernetesServiceLinks(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy/kubernetes/services.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sts, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy/kubernetes/statefulset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := parseManifests(t, append(append(data, "\n---\n"...), sts...))
	m.secrets["anode-credentials"] = map[string]string{"root-user": "admin", "root-password": "a-long-secret",
		"cluster-secret": "0123456789abcdef0123456789abcdef"}
	on := true
	m.statefulSets[0].Spec.Template.Spec.EnableServiceLinks = &on
	env, err := podEnv(t, m, m.statefulSets[0], "storage", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadNodeConfig(env); err == nil || !strings.Contains(err.Error(), "ANODE_SERVICE_HOST") {
		t.Fatalf("with service links the server should refuse ANODE_SERVICE_HOST, got %v", err)
	}
}
