package config

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleFile is the reference configuration of the documentation; it must
// load exactly as written.
const sampleFile = `
[node]
id = 1
name = "anode-1"
s3_addr = "0.0.0.0:8080"
grpc_addr = "0.0.0.0:9090"
admin_addr = "0.0.0.0:8081"

[cluster]
name = "my-cluster"
initial_members = ["anode-1:9090", "anode-2:9090", "anode-3:9090"]
replication_factor = 3
placement_groups = 128
heartbeat_interval_ms = 1000
election_timeout_ms = 3000

[storage]
data_dir = "/var/lib/anode/data"
chunk_size = "4MB"
sync_writes = true
metadata_cache_size = 104857600
io_threads = 8

[s3]
max_body_size = 5368709120
request_timeout_secs = 300
enable_multipart = true
min_part_size = 5242880
virtual_host_style = false

[raft]
snapshot_interval = 10000
max_log_entries = 100000
compaction_threshold = 50000
enable_compaction = true

[parquet]
enable_cache = true
cache_size = 268435456
row_group_size = 100000
enable_predicate_pushdown = true
enable_column_pruning = true

[metrics]
enabled = true
interval_secs = 15
retention_secs = 0

[logging]
level = "info"
json_format = false
file = "/var/log/anode/anode.log"
rotate = true
max_size = 104857600
`

// writeFile writes a config file in a test directory and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "anode.toml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSampleFile(t *testing.T) {
	got, err := Load([]string{"--config", writeFile(t, sampleFile)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Node: NodeConfig{ID: 1, Name: "anode-1", S3Addr: "0.0.0.0:8080", GRPCAddr: "0.0.0.0:9090", AdminAddr: "0.0.0.0:8081"},
		Cluster: ClusterConfig{
			Name:                "my-cluster",
			InitialMembers:      []string{"anode-1:9090", "anode-2:9090", "anode-3:9090"},
			ReplicationFactor:   3,
			PlacementGroups:     128,
			HeartbeatIntervalMS: 1000,
			ElectionTimeoutMS:   3000,
		},
		Storage: StorageConfig{
			DataDir:           "/var/lib/anode/data",
			ChunkSize:         4194304,
			SyncWrites:        true,
			MetadataCacheSize: 104857600,
			IOThreads:         8,
			InlineThreshold:   64 * KiB,  // default
			GCGraceSecs:       3600,      // default
			GCIntervalSecs:    600,       // default
			FreeSpaceReserve:  256 * MiB, // default
			ScrubRate:         16 * MiB,  // default
			ScrubPauseSecs:    60,        // default
		},
		S3: S3Config{
			Region:             "",                    // default
			Domains:            []string{"localhost"}, // default
			MaxBodySize:        5368709120,
			RequestTimeoutSecs: 300,
			EnableMultipart:    true,
			MinPartSize:        5242880,
			VirtualHostStyle:   false,
		},
		Raft:      RaftConfig{SnapshotInterval: 10000, MaxLogEntries: 100000, CompactionThreshold: 50000, EnableCompaction: true},
		Parquet:   ParquetConfig{EnableCache: true, CacheSize: 268435456, RowGroupSize: 100000, EnablePredicatePushdown: true, EnableColumnPruning: true},
		Metrics:   MetricsConfig{Enabled: true, IntervalSecs: 15, RetentionSecs: 0, Auth: "none"},
		Logging:   LoggingConfig{Level: "info", JSONFormat: false, File: "/var/log/anode/anode.log", Rotate: true, MaxSize: 104857600},
		Audit:     AuditConfig{MaxSize: 104857600, MaxBackups: 10, WebhookBatch: 100, WebhookBuffer: 10000}, // defaults
		Lifecycle: LifecycleConfig{IntervalSecs: 3600, Rate: 100, DaySeconds: 86400},
		Notify:    NotifyConfig{QueueLimit: 100000, RedisKey: "anode-events"},

		RootUser:           "minioadmin",
		RootPassword:       "minioadmin",
		DefaultCredentials: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sample file loaded as\n%+v\nwant\n%+v", got, want)
	}
	if got.Cluster.ElectionTicks() != 3 {
		t.Errorf("ElectionTicks() = %d, want 3", got.Cluster.ElectionTicks())
	}
}

func TestDefaults(t *testing.T) {
	got, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, Default()) {
		t.Errorf("Load with nothing = %+v, want Default() %+v", got, Default())
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	// The values DESIGN.md promises to someone who runs `anode server`.
	checks := []struct {
		name      string
		got, want any
	}{
		{"node.id", got.Node.ID, uint64(1)},
		{"node.name", got.Node.Name, "anode-1"},
		{"node.s3_addr", got.Node.S3Addr, ":8080"},
		{"node.grpc_addr", got.Node.GRPCAddr, ":9090"},
		{"node.admin_addr", got.Node.AdminAddr, ":8081"},
		{"cluster.name", got.Cluster.Name, "anode"},
		{"cluster.initial_members", len(got.Cluster.InitialMembers), 0},
		{"cluster.replication_factor", got.Cluster.ReplicationFactor, 3},
		{"cluster.placement_groups", got.Cluster.PlacementGroups, 128},
		{"cluster.heartbeat_interval_ms", got.Cluster.HeartbeatIntervalMS, 100},
		{"cluster.election_timeout_ms", got.Cluster.ElectionTimeoutMS, 1000},
		{"storage.data_dir", got.Storage.DataDir, "./data"},
		{"storage.chunk_size", got.Storage.ChunkSize, 4 * MiB},
		{"storage.inline_threshold", got.Storage.InlineThreshold, 64 * KiB},
		{"storage.gc_grace_secs", got.Storage.GCGraceSecs, 3600},
		{"storage.gc_interval_secs", got.Storage.GCIntervalSecs, 600},
		{"s3.region", got.S3.Region, ""},
		{"s3.domains", got.S3.Domains, []string{"localhost"}},
		{"s3.max_body_size", got.S3.MaxBodySize, 5 * GiB},
		{"s3.min_part_size", got.S3.MinPartSize, 5 * MiB},
		{"s3.virtual_host_style", got.S3.VirtualHostStyle, true},
		{"metrics.enable_pprof", got.Metrics.EnablePprof, false},
		{"logging.level", got.Logging.Level, "info"},
		{"logging.file", got.Logging.File, ""},
		{"root user", got.RootUser, "minioadmin"},
		{"root password", got.RootPassword, "minioadmin"},
		{"default credentials", got.DefaultCredentials, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("default %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestPrecedence sets the same key in the file, the environment and a flag,
// in every combination, and checks that flags > environment > file > default.
func TestPrecedence(t *testing.T) {
	keys := []struct {
		section, key string // file
		fileValue    string // TOML
		env, envVal  string
		flag         []string
		get          func(*Config) any
		def, file    any // expected values from the default and the file
		envWant      any
		flagWant     any
	}{
		{
			"storage", "data_dir", `"/file"`, "ANODE_STORAGE_DATA_DIR", "/env", []string{"--data-dir", "/flag"},
			func(c *Config) any { return c.Storage.DataDir }, "./data", "/file", "/env", "/flag",
		},
		{
			"storage", "chunk_size", `"8MB"`, "ANODE_STORAGE_CHUNK_SIZE", "16MiB", []string{"-chunk-size=32m"},
			func(c *Config) any { return c.Storage.ChunkSize }, 4 * MiB, 8 * MiB, 16 * MiB, 32 * MiB,
		},
		{
			"cluster", "placement_groups", `256`, "ANODE_CLUSTER_PLACEMENT_GROUPS", "512", []string{"--placement-groups", "1024"},
			func(c *Config) any { return c.Cluster.PlacementGroups }, 128, 256, 512, 1024,
		},
		{
			"node", "s3_addr", `"127.0.0.1:1"`, "ANODE_NODE_S3_ADDR", "127.0.0.1:2", []string{"--s3-addr=127.0.0.1:3"},
			func(c *Config) any { return c.Node.S3Addr }, ":8080", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3",
		},
		{
			"logging", "level", `"warn"`, "ANODE_LOGGING_LEVEL", "error", []string{"--log-level", "debug"},
			func(c *Config) any { return c.Logging.Level }, "info", "warn", "error", "debug",
		},
		{
			"logging", "json_format", `false`, "ANODE_LOGGING_JSON_FORMAT", "true", []string{"--log-json=false"},
			func(c *Config) any { return c.Logging.JSONFormat }, false, false, true, false,
		},
		{
			"cluster", "initial_members", `["f:1"]`, "ANODE_CLUSTER_INITIAL_MEMBERS", "e:1, e:2", []string{"--initial-members", "g:1,g:2,g:3"},
			func(c *Config) any { return c.Cluster.InitialMembers }, []string(nil), []string{"f:1"}, []string{"e:1", "e:2"}, []string{"g:1", "g:2", "g:3"},
		},
	}
	for _, k := range keys {
		path := writeFile(t, "["+k.section+"]\n"+k.key+" = "+k.fileValue+"\n")
		env := []string{k.env + "=" + k.envVal}
		cases := []struct {
			name string
			args []string
			env  []string
			want any
		}{
			{"default", nil, nil, k.def},
			{"file", []string{"--config", path}, nil, k.file},
			{"env", nil, env, k.envWant},
			{"flag", k.flag, nil, k.flagWant},
			{"file+env", []string{"--config", path}, env, k.envWant},
			{"file+flag", append([]string{"--config", path}, k.flag...), nil, k.flagWant},
			{"env+flag", k.flag, env, k.flagWant},
			{"file+env+flag", append([]string{"-config", path}, k.flag...), env, k.flagWant},
			{"ANODE_CONFIG", nil, []string{"ANODE_CONFIG=" + path}, k.file},
			{"ANODE_CONFIG+env", nil, []string{"ANODE_CONFIG=" + path, env[0]}, k.envWant},
		}
		for _, c := range cases {
			cfg, err := Load(c.args, c.env)
			if err != nil {
				t.Errorf("%s.%s %s: %v", k.section, k.key, c.name, err)
				continue
			}
			if got := k.get(cfg); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s.%s %s: got %v, want %v", k.section, k.key, c.name, got, c.want)
			}
		}
	}
}

func TestConfigFlagBeatsAnodeConfig(t *testing.T) {
	a := writeFile(t, "[node]\nname = \"from-flag\"\n")
	b := writeFile(t, "[node]\nname = \"from-env\"\n")
	cfg, err := Load([]string{"--config", a}, []string{"ANODE_CONFIG=" + b})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Node.Name != "from-flag" {
		t.Errorf("node.name = %q, want the file named by --config", cfg.Node.Name)
	}
}

// TestErrors checks that each kind of bad input is refused with a message
// that names the key (or variable, or flag) and what is accepted.
func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		file string // if not empty, passed with --config
		args []string
		env  []string
		want []string // substrings of the error
	}{
		{"unknown key in file", "[storage]\nchunk_sz = \"4MB\"\n", nil, nil,
			[]string{`unknown key "storage.chunk_sz"`, "anode.toml"}},
		{"unknown section", "[store]\ndata_dir = \"x\"\n", nil, nil,
			[]string{`unknown key "store"`}},
		{"credentials in file", "root_password = \"secret123\"\n", nil, nil,
			[]string{`unknown key "root_password"`}},
		{"bad size in file", "[storage]\nchunk_size = \"4XB\"\n", nil, nil,
			[]string{"storage.chunk_size", `invalid size "4XB"`, "line 2"}},
		{"negative size in file", "[storage]\nchunk_size = -1\n", nil, nil,
			[]string{"storage.chunk_size", "out of range", "64KiB..64MiB"}},
		{"wrong type in file", "[storage]\nio_threads = \"eight\"\n", nil, nil,
			[]string{"storage.io_threads"}},
		{"negative uint in file", "[raft]\nsnapshot_interval = -5\n", nil, nil,
			[]string{"raft.snapshot_interval"}},
		{"toml syntax", "[storage\n", nil, nil,
			[]string{"anode.toml", "line 1"}},
		{"missing file", "", []string{"--config", "/nonexistent/anode.toml"}, nil,
			[]string{"/nonexistent/anode.toml"}},
		{"unknown env", "", nil, []string{"ANODE_STORAGE_CHUNK_SZ=4MB"},
			[]string{"ANODE_STORAGE_CHUNK_SZ", "unknown"}},
		{"unknown empty env", "", nil, []string{"ANODE_DATA_DIR="},
			[]string{"ANODE_DATA_DIR"}},
		{"bad size in env", "", nil, []string{"ANODE_STORAGE_CHUNK_SIZE=4XB"},
			[]string{"ANODE_STORAGE_CHUNK_SIZE", "storage.chunk_size", `invalid size "4XB"`}},
		{"bad bool in env", "", nil, []string{"ANODE_STORAGE_SYNC_WRITES=yes"},
			[]string{"storage.sync_writes", `"yes"`}},
		{"bad size flag", "", []string{"--chunk-size", "-1MB"}, nil,
			[]string{"-chunk-size", "storage.chunk_size", "negative"}},
		{"bad int flag", "", []string{"--node-id", "one"}, nil,
			[]string{"-node-id", "node.id"}},
		{"unknown flag", "", []string{"--chunk-sz", "4MB"}, nil,
			[]string{"chunk-sz"}},
		{"extra argument", "", []string{"--data-dir", "d", "extra"}, nil,
			[]string{`"extra"`}},
		{"set without =", "", []string{"--set", "storage.chunk_size"}, nil,
			[]string{"section.key=value"}},
		{"set unknown key", "", []string{"--set", "storage.chunk_sz=4MB"}, nil,
			[]string{`unknown key "storage.chunk_sz"`}},
		{"chunk size too small", "", []string{"--chunk-size", "1KiB"}, nil,
			[]string{"storage.chunk_size", "1KiB", "64KiB..64MiB", "flag -chunk-size"}},
		{"chunk size too large", "[storage]\nchunk_size = \"128MiB\"\n", nil, nil,
			[]string{"storage.chunk_size", "64KiB..64MiB", "file "}},
		{"placement groups", "", nil, []string{"ANODE_CLUSTER_PLACEMENT_GROUPS=5000"},
			[]string{"cluster.placement_groups", "1..4096", "ANODE_CLUSTER_PLACEMENT_GROUPS"}},
		{"replication factor", "", []string{"--replication-factor", "0"}, nil,
			[]string{"cluster.replication_factor", "1..7"}},
		{"node id 0", "", []string{"--node-id", "0"}, nil,
			[]string{"node.id"}},
		{"inline threshold", "", []string{"--set", "storage.inline_threshold=2MiB"}, nil,
			[]string{"storage.inline_threshold", "0B..1MiB"}},
		{"inline above chunk", "", []string{"--set", "storage.inline_threshold=1MiB", "--chunk-size", "512KiB"}, nil,
			[]string{"storage.inline_threshold", "storage.chunk_size"}},
		{"election not multiple", "", []string{"--set", "cluster.election_timeout_ms=350"}, nil,
			[]string{"cluster.election_timeout_ms", "multiple"}},
		{"election below 3 heartbeats", "[cluster]\nheartbeat_interval_ms = 500\nelection_timeout_ms = 1000\n", nil, nil,
			[]string{"cluster.election_timeout_ms", "at least 3"}},
		{"bad listen address", "", []string{"--s3-addr", "8080"}, nil,
			[]string{"node.s3_addr", `"8080"`}},
		{"shared listen address", "", []string{"--admin-addr", ":8080"}, nil,
			[]string{"node.admin_addr", "node.s3_addr"}},
		{"member without host", "", []string{"--initial-members", "a:9090,:9090"}, nil,
			[]string{"cluster.initial_members", `":9090"`}},
		{"join and members", "", []string{"--join", "a:9090", "--initial-members", "b:9090"}, nil,
			[]string{"cluster.join", "cluster.initial_members"}},
		{"name with space", "", []string{"--node-name", "anode 1"}, nil,
			[]string{"node.name", "no spaces"}},
		{"log level", "", []string{"--log-level", "verbose"}, nil,
			[]string{"logging.level", "debug, info, warn, error"}},
		{"domain with port", "", []string{"--set", "s3.domains=localhost:8080"}, nil,
			[]string{"s3.domains"}},
		{"min part above max body", "", []string{"--set", "s3.max_body_size=4MiB"}, nil,
			[]string{"s3.min_part_size", "s3.max_body_size"}},
		{"compaction threshold", "", []string{"--set", "raft.compaction_threshold=100000"}, nil,
			[]string{"raft.compaction_threshold", "raft.max_log_entries"}},
		{"root user alone", "", nil, []string{"ANODE_ROOT_USER=admin"},
			[]string{"ANODE_ROOT_USER", "ANODE_ROOT_PASSWORD"}},
		{"short root password", "", nil, []string{"ANODE_ROOT_USER=admin", "ANODE_ROOT_PASSWORD=short"},
			[]string{"ANODE_ROOT_PASSWORD", "at least 8"}},
	}
	for _, tt := range tests {
		args := tt.args
		if tt.file != "" {
			args = append([]string{"--config", writeFile(t, tt.file)}, args...)
		}
		cfg, err := Load(args, tt.env)
		if err == nil {
			t.Errorf("%s: Load succeeded (%+v), want error", tt.name, cfg)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tt.name, err, w)
			}
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Cluster.PlacementGroups = 0
	c.Storage.ChunkSize = 0
	c.Logging.Level = "loud"
	err := c.Validate()
	for _, key := range []string{"cluster.placement_groups", "storage.chunk_size", "logging.level"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate() = %v, want it to name %s", err, key)
		}
	}
}

func TestSet(t *testing.T) {
	cfg, err := Load([]string{
		"--set", "s3.region=eu-west-3",
		"--set", "s3.domains=s3.example.com, example.com",
		"--set", "raft.snapshot_interval=500",
		"--set", "metrics.enable_pprof=true",
		"--set", "parquet.cache_size=64MiB",
		"--set", "storage.gc_grace_secs=10",
		"--set", "storage.gc_grace_secs=20", // the last one wins
		"-set=node.name=a=b", // only the first '=' separates
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"s3.region", cfg.S3.Region, "eu-west-3"},
		{"s3.domains", cfg.S3.Domains, []string{"s3.example.com", "example.com"}},
		{"raft.snapshot_interval", cfg.Raft.SnapshotInterval, uint64(500)},
		{"metrics.enable_pprof", cfg.Metrics.EnablePprof, true},
		{"parquet.cache_size", cfg.Parquet.CacheSize, 64 * MiB},
		{"storage.gc_grace_secs", cfg.Storage.GCGraceSecs, 20},
		{"node.name", cfg.Node.Name, "a=b"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("--set %s: got %v, want %v", c.key, c.got, c.want)
		}
	}
}

// TestFlagsBeatSetInOrder checks that a named flag and --set for the same
// key apply in command-line order, like repeated flags.
func TestFlagsBeatSetInOrder(t *testing.T) {
	dataDir := func(c *Config) string { return c.Storage.DataDir }
	grpcAddr := func(c *Config) string { return c.Node.GRPCAddr }
	tests := []struct {
		args []string
		get  func(*Config) string
		want string
	}{
		{[]string{"--data-dir", "a", "--set", "storage.data_dir=b"}, dataDir, "b"},
		{[]string{"--set", "storage.data_dir=b", "--data-dir", "a"}, dataDir, "a"},
		{[]string{"--grpc-addr", ":1", "--cluster-addr", ":2"}, grpcAddr, ":2"},
	}
	for _, tt := range tests {
		cfg, err := Load(tt.args, nil)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if got := tt.get(cfg); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestEveryFlag(t *testing.T) {
	cfg, err := Load([]string{
		"--node-id", "7", "--node-name", "n7", "--s3-addr", ":18080", "--grpc-addr", ":19090",
		"--admin-addr", ":18081", "--data-dir", "/d", "--join", "seed:9090",
		"--replication-factor", "5", "--placement-groups", "64", "--chunk-size", "1MiB",
		"--log-level", "WARN", "--log-json",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Node = NodeConfig{ID: 7, Name: "n7", S3Addr: ":18080", GRPCAddr: ":19090", AdminAddr: ":18081"}
	want.Storage.DataDir = "/d"
	want.Cluster.Join = "seed:9090"
	want.Cluster.ReplicationFactor = 5
	want.Cluster.PlacementGroups = 64
	want.Storage.ChunkSize = 1 * MiB
	want.Logging.Level = "WARN"
	want.Logging.JSONFormat = true
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got\n%+v\nwant\n%+v", cfg, want)
	}
}

func TestRootCredentials(t *testing.T) {
	tests := []struct {
		env                []string
		user, password     string
		defaultCredentials bool
	}{
		{nil, "minioadmin", "minioadmin", true},
		{[]string{"ANODE_ROOT_USER=", "ANODE_ROOT_PASSWORD="}, "minioadmin", "minioadmin", true},
		{[]string{"ANODE_ROOT_USER=admin", "ANODE_ROOT_PASSWORD=s3cret-pass"}, "admin", "s3cret-pass", false},
	}
	for _, tt := range tests {
		cfg, err := Load(nil, tt.env)
		if err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		if cfg.RootUser != tt.user || cfg.RootPassword != tt.password || cfg.DefaultCredentials != tt.defaultCredentials {
			t.Errorf("%v: got %q/%q default=%v, want %q/%q default=%v", tt.env,
				cfg.RootUser, cfg.RootPassword, cfg.DefaultCredentials, tt.user, tt.password, tt.defaultCredentials)
		}
	}
}

func TestEnvironment(t *testing.T) {
	cfg, err := Load(nil, []string{
		"PATH=/bin", "HOME=/root", "ANODEX=1", // not ours
		"ANODE_CLUSTER_INITIAL_MEMBERS=a:9090, b:9090,,c:9090",
		"ANODE_STORAGE_DATA_DIR=", // empty counts as unset
		"ANODE_STORAGE_SYNC_WRITES=false",
		"ANODE_NODE_ID=42",
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a:9090", "b:9090", "c:9090"}; !reflect.DeepEqual(cfg.Cluster.InitialMembers, want) {
		t.Errorf("initial_members = %q, want %q", cfg.Cluster.InitialMembers, want)
	}
	if cfg.Storage.DataDir != "./data" {
		t.Errorf("empty ANODE_STORAGE_DATA_DIR changed data_dir to %q", cfg.Storage.DataDir)
	}
	if cfg.Storage.SyncWrites || cfg.Node.ID != 42 {
		t.Errorf("sync_writes = %v, node.id = %d; want false, 42", cfg.Storage.SyncWrites, cfg.Node.ID)
	}
}

func TestFileListReplacesDefault(t *testing.T) {
	cfg, err := Load([]string{"--config", writeFile(t, "[s3]\ndomains = [\"s3.example.com\"]\n")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"s3.example.com"}; !reflect.DeepEqual(cfg.S3.Domains, want) {
		t.Errorf("s3.domains = %q, want %q", cfg.S3.Domains, want)
	}
	if !reflect.DeepEqual(Default().S3.Domains, []string{"localhost"}) {
		t.Error("loading a file changed the defaults")
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		if _, err := Load([]string{arg}, nil); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("Load(%s) error = %v, want flag.ErrHelp", arg, err)
		}
	}
	var buf bytes.Buffer
	Usage(&buf)
	for _, f := range flagSpecs {
		if !strings.Contains(buf.String(), "--"+f.name) {
			t.Errorf("usage does not mention --%s", f.name)
		}
	}
	for _, s := range []string{"--config", "--set", "ANODE_ROOT_USER"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("usage does not mention %s", s)
		}
	}
}

// TestEveryKey checks that every key can be set from text and is documented
// with its environment variable in docs/configuration.md.
func TestEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	samples := map[reflect.Kind]string{
		reflect.String: "x", reflect.Bool: "true", reflect.Int: "1",
		reflect.Int64: "1MiB", reflect.Uint64: "1", reflect.Slice: "a,b",
	}
	if len(Keys()) < 45 {
		t.Errorf("only %d keys", len(Keys()))
	}
	for _, name := range Keys() {
		k := keysByName[name]
		v := reflect.ValueOf(Default()).Elem().FieldByIndex(k.index)
		if err := Default().set(name, samples[v.Kind()]); err != nil {
			t.Errorf("set(%s, %q): %v", name, samples[v.Kind()], err)
		}
		if !bytes.Contains(doc, []byte("`"+name+"`")) || !bytes.Contains(doc, []byte("`"+k.env+"`")) {
			t.Errorf("docs/configuration.md does not document `%s` and `%s`", name, k.env)
		}
	}
	for _, f := range flagSpecs {
		if _, ok := keysByName[f.key]; !ok {
			t.Errorf("flag --%s sets unknown key %s", f.name, f.key)
		}
		if !bytes.Contains(doc, []byte("--"+f.name)) {
			t.Errorf("docs/configuration.md does not document --%s", f.name)
		}
	}
}

func TestDurations(t *testing.T) {
	c := Default()
	checks := []struct {
		name      string
		got, want time.Duration
	}{
		{"HeartbeatInterval", c.Cluster.HeartbeatInterval(), 100 * time.Millisecond},
		{"ElectionTimeout", c.Cluster.ElectionTimeout(), time.Second},
		{"GCGrace", c.Storage.GCGrace(), time.Hour},
		{"GCInterval", c.Storage.GCInterval(), 10 * time.Minute},
		{"RequestTimeout", c.S3.RequestTimeout(), 5 * time.Minute},
		{"Interval", c.Metrics.Interval(), 15 * time.Second},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s() = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if got := c.Cluster.ElectionTicks(); got != 10 {
		t.Errorf("ElectionTicks() = %d, want 10", got)
	}
}
