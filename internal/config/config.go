// Package config holds Anode's configuration: its defaults, the TOML file,
// the ANODE_* environment variables and the flags of `anode server`.
//
// Precedence is flags > environment > file > defaults: each source only
// changes the keys it names, so a flag overrides the same key set in the
// environment or the file and leaves every other key alone. Every key has
// the name "section.key" (as in the file), the environment variable
// ANODE_SECTION_KEY, and can be set on the command line with
// --set section.key=value. Unknown keys and unknown ANODE_* variables are
// refused: a typo must not silently leave a default in place.
//
// docs/configuration.md lists every key with its type, default and range.
package config

import "time"

// Config is the whole configuration of one Anode node.
type Config struct {
	Node    NodeConfig    `toml:"node"`
	Cluster ClusterConfig `toml:"cluster"`
	Storage StorageConfig `toml:"storage"`
	S3      S3Config      `toml:"s3"`
	Raft    RaftConfig    `toml:"raft"`
	Parquet ParquetConfig `toml:"parquet"`
	Admin   AdminConfig   `toml:"admin"`
	Metrics MetricsConfig `toml:"metrics"`
	Logging LoggingConfig `toml:"logging"`
	Audit   AuditConfig   `toml:"audit"`
	KMS     KMSConfig     `toml:"kms"`
	// Lifecycle configures the background runner of bucket lifecycle rules.
	Lifecycle LifecycleConfig `toml:"lifecycle"`
	// Notify configures the targets of bucket event notifications.
	Notify NotifyConfig `toml:"notify"`

	// RootUser and RootPassword are the root credentials. They come only
	// from ANODE_ROOT_USER and ANODE_ROOT_PASSWORD, never from the file,
	// so that a config file can be shared or committed without a secret.
	RootUser     string `toml:"-"`
	RootPassword string `toml:"-"`
	// RootPreviousUser and RootPreviousPassword are the root credentials
	// before a rotation (ANODE_ROOT_PREVIOUS_USER/_PASSWORD), or empty.
	RootPreviousUser     string `toml:"-"`
	RootPreviousPassword string `toml:"-"`
	// DefaultCredentials reports that the root credentials are the
	// well-known minioadmin/minioadmin; the server should log a warning.
	DefaultCredentials bool `toml:"-"`
	// KMSMasterKey is ANODE_KMS_MASTER_KEY (base64), never from the file,
	// for the same reason as the root credentials.
	KMSMasterKey string `toml:"-"`
}

// KMSConfig configures the built-in KMS (docs/encryption.md).
type KMSConfig struct {
	// MasterKeyFile holds the master key (base64 of 32 bytes), outside
	// the data directory, mode 0600. Empty: ANODE_KMS_MASTER_KEY, or none.
	MasterKeyFile string `toml:"master_key_file"`
}

// NodeConfig identifies this node and says where it listens.
type NodeConfig struct {
	// ID is the node's Raft ID, unique in the cluster and never 0
	// (0 means "no node" in go.etcd.io/raft).
	ID uint64 `toml:"id"`
	// Name is the node's human-readable name, unique in the cluster.
	Name string `toml:"name"`
	// S3Addr is the listen address of the S3 API.
	S3Addr string `toml:"s3_addr"`
	// GRPCAddr is the listen address of the node-to-node transport.
	GRPCAddr string `toml:"grpc_addr"`
	// AdminAddr is the listen address of health, readiness, metrics and
	// cluster operations.
	AdminAddr string `toml:"admin_addr"`
}

// ClusterConfig describes the cluster this node belongs to.
type ClusterConfig struct {
	// Name guards against nodes of different clusters talking to each other.
	Name string `toml:"name"`
	// InitialMembers are the cluster addresses (host:port) of the nodes that
	// bootstrap a new cluster together. Empty means a one-node cluster of
	// this node alone.
	InitialMembers []string `toml:"initial_members"`
	// Join is the cluster address of a running node to ask for membership.
	// Empty means: do not join, bootstrap (or restart) from InitialMembers.
	Join string `toml:"join"`
	// ReplicationFactor is the number of replicas of each placement group
	// and each chunk. It is capped at run time by the number of nodes.
	ReplicationFactor int `toml:"replication_factor"`
	// PlacementGroups is the number of Raft groups that hold object metadata.
	PlacementGroups int `toml:"placement_groups"`
	// HeartbeatIntervalMS is the Raft tick and heartbeat interval.
	HeartbeatIntervalMS int `toml:"heartbeat_interval_ms"`
	// ElectionTimeoutMS is the Raft election timeout, a whole multiple (at
	// least 3) of HeartbeatIntervalMS because etcd raft counts it in ticks.
	ElectionTimeoutMS int `toml:"election_timeout_ms"`

	// Secret is the shared cluster secret: nodes derive the cluster CA
	// from it and authenticate each other with mutual TLS (internal/peer).
	// PreviousSecret is still accepted during a rollover.
	Secret         string `toml:"secret"`
	PreviousSecret string `toml:"previous_secret"`
	// TLSCertFile, TLSKeyFile and TLSCAFile are operator certificates for
	// the cluster port, used instead of a secret.
	TLSCertFile string `toml:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file"`
	TLSCAFile   string `toml:"tls_ca_file"`
	// JoinToken is an operator's join token (`anode admin join-token`),
	// the proof a joining node without the secret gives.
	JoinToken string `toml:"join_token"`
}

// HasPeerCredentials reports whether the operator configured how nodes
// authenticate each other (a secret or certificates).
func (c ClusterConfig) HasPeerCredentials() bool {
	return c.Secret != "" || c.TLSCertFile != ""
}

// HeartbeatInterval returns HeartbeatIntervalMS as a duration.
func (c ClusterConfig) HeartbeatInterval() time.Duration {
	return time.Duration(c.HeartbeatIntervalMS) * time.Millisecond
}

// ElectionTimeout returns ElectionTimeoutMS as a duration.
func (c ClusterConfig) ElectionTimeout() time.Duration {
	return time.Duration(c.ElectionTimeoutMS) * time.Millisecond
}

// ElectionTicks returns the election timeout in heartbeat ticks, the unit
// of raft.Config.ElectionTick when HeartbeatTick is 1.
func (c ClusterConfig) ElectionTicks() int {
	return c.ElectionTimeoutMS / c.HeartbeatIntervalMS
}

// StorageConfig configures the local chunk store and metadata engine.
type StorageConfig struct {
	// DataDir holds everything this node stores.
	DataDir string `toml:"data_dir"`
	// ChunkSize is the size objects are cut into.
	ChunkSize Size `toml:"chunk_size"`
	// SyncWrites makes every chunk and metadata write fsync before it is
	// acknowledged. Turning it off loses acknowledged writes on power loss.
	SyncWrites bool `toml:"sync_writes"`
	// MetadataCacheSize is the metadata engine's (Pebble) block cache size.
	MetadataCacheSize Size `toml:"metadata_cache_size"`
	// IOThreads bounds the concurrent chunk reads and writes of this node.
	IOThreads int `toml:"io_threads"`
	// InlineThreshold: objects at or below this size are stored inline in
	// their metadata instead of as chunks. 0 disables inlining.
	InlineThreshold Size `toml:"inline_threshold"`
	// GCGraceSecs is how long an unreferenced chunk is kept after it was
	// last written or re-referenced before garbage collection may delete it.
	GCGraceSecs int `toml:"gc_grace_secs"`
	// GCIntervalSecs is the time between two garbage collection sweeps.
	GCIntervalSecs int `toml:"gc_interval_secs"`
	// FreeSpaceReserve is the free space the node keeps on the filesystem
	// of its chunks: below it, new data is refused (507). 0 disables it.
	FreeSpaceReserve Size `toml:"free_space_reserve"`
	// ScrubRate is how many bytes of chunk data per second the scrubber
	// reads and verifies. 0 turns the scrubber off.
	ScrubRate Size `toml:"scrub_rate"`
	// ScrubPauseSecs is the least time between the starts of two scrub
	// passes.
	ScrubPauseSecs int `toml:"scrub_pause_secs"`
}

// GCGrace returns GCGraceSecs as a duration.
func (c StorageConfig) GCGrace() time.Duration { return secs(c.GCGraceSecs) }

// GCInterval returns GCIntervalSecs as a duration.
func (c StorageConfig) GCInterval() time.Duration { return secs(c.GCIntervalSecs) }

// ScrubPause returns ScrubPauseSecs as a duration.
func (c StorageConfig) ScrubPause() time.Duration { return secs(c.ScrubPauseSecs) }

// S3Config configures the S3 API.
type S3Config struct {
	// Region, when set, is the only region accepted in signatures and in
	// CreateBucket location constraints. Empty (the default) accepts any
	// signing region; buckets then report the region they were created
	// with (us-east-1 without a location constraint).
	Region string `toml:"region"`
	// Domains are the host names under which bucket.<domain> is a
	// virtual-host-style request for bucket.
	Domains []string `toml:"domains"`
	// MaxBodySize is the largest accepted request body (PutObject, UploadPart).
	MaxBodySize Size `toml:"max_body_size"`
	// RequestTimeoutSecs bounds the time of one request.
	RequestTimeoutSecs int `toml:"request_timeout_secs"`
	// EnableMultipart enables the multipart upload API.
	EnableMultipart bool `toml:"enable_multipart"`
	// MinPartSize is the smallest accepted size of a multipart part other
	// than the last one (AWS: 5 MiB).
	MinPartSize Size `toml:"min_part_size"`
	// VirtualHostStyle enables bucket.<domain> requests for the Domains.
	VirtualHostStyle bool `toml:"virtual_host_style"`
	// TLSCertFile and TLSKeyFile, when set, make the S3 port serve HTTPS;
	// the files are read again when they change.
	TLSCertFile string `toml:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file"`
	// AllowSSECOverHTTP accepts SSE-C keys on plain HTTP requests (AWS
	// refuses them); only for tests or a TLS-terminating proxy.
	AllowSSECOverHTTP bool `toml:"allow_ssec_over_http"`
}

// AdminConfig configures the admin port.
type AdminConfig struct {
	// TLSCertFile and TLSKeyFile, when set, make the admin port serve
	// HTTPS; the files are read again when they change.
	TLSCertFile string `toml:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file"`
}

// RequestTimeout returns RequestTimeoutSecs as a duration.
func (c S3Config) RequestTimeout() time.Duration { return secs(c.RequestTimeoutSecs) }

// RaftConfig configures snapshots and log compaction of every Raft group.
type RaftConfig struct {
	// SnapshotInterval is the number of applied entries between two
	// snapshots of a group's state.
	SnapshotInterval uint64 `toml:"snapshot_interval"`
	// MaxLogEntries is the most entries a group's log may hold: reaching it
	// forces a snapshot and a compaction even before SnapshotInterval.
	MaxLogEntries uint64 `toml:"max_log_entries"`
	// CompactionThreshold is the number of entries kept below the latest
	// snapshot so that a lagging follower catches up from the log rather
	// than from a snapshot; older entries are deleted.
	CompactionThreshold uint64 `toml:"compaction_threshold"`
	// EnableCompaction enables deleting log entries covered by a snapshot.
	EnableCompaction bool `toml:"enable_compaction"`
}

// ParquetConfig configures the Parquet footer index and S3 Select.
type ParquetConfig struct {
	// EnableCache enables the in-memory cache of Parquet footers.
	EnableCache bool `toml:"enable_cache"`
	// CacheSize is the memory the footer cache may use.
	CacheSize Size `toml:"cache_size"`
	// RowGroupSize is the number of rows per row group Anode writes when it
	// produces Parquet itself.
	RowGroupSize int `toml:"row_group_size"`
	// EnablePredicatePushdown lets S3 Select skip row groups and pages
	// whose statistics exclude the predicate.
	EnablePredicatePushdown bool `toml:"enable_predicate_pushdown"`
	// EnableColumnPruning lets S3 Select read only the columns it needs.
	EnableColumnPruning bool `toml:"enable_column_pruning"`
}

// MetricsConfig configures the Prometheus metrics of the admin port.
type MetricsConfig struct {
	// Enabled serves /metrics on the admin port.
	Enabled bool `toml:"enabled"`
	// IntervalSecs is how often gauges that must be sampled (disk usage,
	// chunk counts) are refreshed.
	IntervalSecs int `toml:"interval_secs"`
	// RetentionSecs is how long samples are kept in process; 0 keeps none
	// (Prometheus keeps the history).
	RetentionSecs int `toml:"retention_secs"`
	// EnablePprof serves net/http/pprof under /debug/pprof/ on the admin
	// port, to the root credentials only.
	EnablePprof bool `toml:"enable_pprof"`
	// Auth is who may read /metrics: "none" (anyone, the default) or
	// "bearer" (requests with "Authorization: Bearer <BearerToken>").
	Auth        string `toml:"auth"`
	BearerToken string `toml:"bearer_token"`
}

// Interval returns IntervalSecs as a duration.
func (c MetricsConfig) Interval() time.Duration { return secs(c.IntervalSecs) }

// LoggingConfig configures the process log; see Config.Logger.
type LoggingConfig struct {
	// Level is debug, info, warn or error (any case).
	Level string `toml:"level"`
	// JSONFormat writes JSON lines instead of key=value text.
	JSONFormat bool `toml:"json_format"`
	// File is the log file; empty means standard error.
	File string `toml:"file"`
	// Rotate rotates File when it reaches MaxSize.
	Rotate bool `toml:"rotate"`
	// MaxSize is the size at which File is rotated.
	MaxSize Size `toml:"max_size"`
}

// LifecycleConfig configures the lifecycle runner (internal/lifecycle).
type LifecycleConfig struct {
	// IntervalSecs is the time between two lifecycle runs.
	IntervalSecs int `toml:"interval_secs"`
	// Rate bounds the lifecycle actions (expirations, removals, aborts)
	// one node proposes per second.
	Rate int `toml:"rate"`
	// DaySeconds is the length of a lifecycle rule's day. Only tests
	// should change it from 86400.
	DaySeconds int `toml:"day_seconds"`
}

// Interval returns IntervalSecs as a duration.
func (c LifecycleConfig) Interval() time.Duration { return secs(c.IntervalSecs) }

// Day returns DaySeconds as a duration.
func (c LifecycleConfig) Day() time.Duration { return secs(c.DaySeconds) }

// NotifyConfig configures the event notification targets
// (internal/notify). A target is configured when its address is set.
type NotifyConfig struct {
	// QueueDir holds the persistent queues of events awaiting delivery;
	// empty means <storage.data_dir>/notify.
	QueueDir string `toml:"queue_dir"`
	// QueueLimit is the most events waiting per target; more are dropped
	// (and counted).
	QueueLimit int `toml:"queue_limit"`
	// WebhookEndpoint is the URL events are POSTed to (ARN
	// arn:anode:sqs::1:webhook); WebhookAuthorization, if set, is sent as
	// the Authorization header.
	WebhookEndpoint      string `toml:"webhook_endpoint"`
	WebhookAuthorization string `toml:"webhook_authorization"`
	// RedisAddr is the host:port of a Redis server that events are
	// appended to, as the list RedisKey (ARN arn:anode:sqs::1:redis).
	RedisAddr     string `toml:"redis_addr"`
	RedisPassword string `toml:"redis_password"`
	RedisKey      string `toml:"redis_key"`
}

// AuditConfig configures the audit log (package audit).
type AuditConfig struct {
	// File is the audit log, one JSON line per request; empty writes the
	// entries to the process log instead.
	File string `toml:"file"`
	// MaxSize is the size at which File is rotated; MaxBackups rotated
	// files are kept.
	MaxSize    Size `toml:"max_size"`
	MaxBackups int  `toml:"max_backups"`
	// WebhookURL, when set, receives the entries as JSON arrays.
	WebhookURL string `toml:"webhook_url"`
	// WebhookBatch is the most entries per POST; WebhookBuffer the most
	// entries waiting (more are dropped and counted).
	WebhookBatch  int `toml:"webhook_batch"`
	WebhookBuffer int `toml:"webhook_buffer"`
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

// Default returns the configuration `anode server` runs with when nothing is
// configured: a one-node cluster on :8080 (S3), :9090 (cluster) and :8081
// (admin) with its data under ./data. The defaults are deterministic (the
// host name is not used) so that the same command gives the same node.
func Default() *Config {
	return &Config{
		Node: NodeConfig{
			ID:        1,
			Name:      "anode-1",
			S3Addr:    ":8080",
			GRPCAddr:  ":9090",
			AdminAddr: ":8081",
		},
		Cluster: ClusterConfig{
			Name:                "anode",
			ReplicationFactor:   3,
			PlacementGroups:     128,
			HeartbeatIntervalMS: 100,
			ElectionTimeoutMS:   1000,
		},
		Storage: StorageConfig{
			DataDir:           "./data",
			ChunkSize:         4 * MiB,
			SyncWrites:        true,
			MetadataCacheSize: 100 * MiB,
			IOThreads:         8,
			InlineThreshold:   64 * KiB,
			GCGraceSecs:       3600,
			GCIntervalSecs:    600,
			FreeSpaceReserve:  256 * MiB,
			ScrubRate:         16 * MiB,
			ScrubPauseSecs:    60,
		},
		S3: S3Config{
			Region:             "",
			Domains:            []string{"localhost"},
			MaxBodySize:        5 * GiB,
			RequestTimeoutSecs: 300,
			EnableMultipart:    true,
			MinPartSize:        5 * MiB,
			VirtualHostStyle:   true,
		},
		Raft: RaftConfig{
			SnapshotInterval:    10000,
			MaxLogEntries:       100000,
			CompactionThreshold: 50000,
			EnableCompaction:    true,
		},
		Parquet: ParquetConfig{
			EnableCache:             true,
			CacheSize:               256 * MiB,
			RowGroupSize:            100000,
			EnablePredicatePushdown: true,
			EnableColumnPruning:     true,
		},
		Metrics: MetricsConfig{
			Enabled:       true,
			IntervalSecs:  15,
			RetentionSecs: 0,
			Auth:          "none",
		},
		Logging: LoggingConfig{
			Level:   "info",
			Rotate:  true,
			MaxSize: 100 * MiB,
		},
		Lifecycle: LifecycleConfig{
			IntervalSecs: 3600,
			Rate:         100,
			DaySeconds:   86400,
		},
		Notify: NotifyConfig{
			QueueLimit: 100000,
			RedisKey:   "anode-events",
		},
		Audit:              AuditConfig{MaxSize: 100 * MiB, MaxBackups: 10, WebhookBatch: 100, WebhookBuffer: 10000},
		RootUser:           defaultRootUser,
		RootPassword:       defaultRootPassword,
		DefaultCredentials: true,
	}
}

// The well-known credentials MinIO also starts with, so that tools
// configured for a fresh MinIO work against a fresh Anode.
const (
	defaultRootUser     = "minioadmin"
	defaultRootPassword = "minioadmin"
)
