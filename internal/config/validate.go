package config

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Limits that more than one check uses.
const (
	maxReplicationFactor = 7
	maxPlacementGroups   = 4096
	maxDaySecs           = 24 * 60 * 60
	maxMonthSecs         = 30 * maxDaySecs
	maxRaftEntries       = 1_000_000_000
)

// logLevels are the accepted values of logging.level, in lower case.
var logLevels = []string{"debug", "info", "warn", "error"}

// Validate checks every key and the rules that tie keys together. It reports
// all the problems it finds, each naming its key and what is accepted.
func (c *Config) Validate() error { return c.validate(nil) }

func (c *Config) validate(sources map[string]string) error {
	ch := &checker{sources: sources}

	n := &c.Node
	if n.ID == 0 {
		ch.fail("node.id", "must not be 0 (0 means no node in Raft)")
	}
	ch.name("node.name", n.Name)
	ch.listenAddr("node.s3_addr", n.S3Addr)
	ch.listenAddr("node.grpc_addr", n.GRPCAddr)
	ch.listenAddr("node.admin_addr", n.AdminAddr)
	ch.distinct(keyAddr{"node.s3_addr", n.S3Addr}, keyAddr{"node.grpc_addr", n.GRPCAddr}, keyAddr{"node.admin_addr", n.AdminAddr})

	cl := &c.Cluster
	ch.name("cluster.name", cl.Name)
	seen := map[string]bool{}
	for _, m := range cl.InitialMembers {
		ch.dialAddr("cluster.initial_members", m)
		if seen[m] {
			ch.fail("cluster.initial_members", "%q is listed twice", m)
		}
		seen[m] = true
	}
	if cl.Join != "" {
		ch.dialAddr("cluster.join", cl.Join)
		if len(cl.InitialMembers) > 0 {
			ch.fail("cluster.join", "cannot be used with cluster.initial_members: a node either bootstraps a new cluster with the initial members or joins a running one")
		}
	}
	inRange(ch, "cluster.replication_factor", cl.ReplicationFactor, 1, maxReplicationFactor)
	inRange(ch, "cluster.placement_groups", cl.PlacementGroups, 1, maxPlacementGroups)
	inRange(ch, "cluster.heartbeat_interval_ms", cl.HeartbeatIntervalMS, 10, 10_000)
	if inRange(ch, "cluster.election_timeout_ms", cl.ElectionTimeoutMS, 30, 60_000) &&
		cl.HeartbeatIntervalMS > 0 &&
		(cl.ElectionTimeoutMS%cl.HeartbeatIntervalMS != 0 || cl.ElectionTimeoutMS < 3*cl.HeartbeatIntervalMS) {
		// etcd raft counts both in ticks: the election timeout must be a whole
		// number of heartbeats, and at least 3 so that one lost heartbeat does
		// not start an election.
		ch.fail("cluster.election_timeout_ms", "%d must be a multiple of cluster.heartbeat_interval_ms (%d) and at least 3 times it",
			cl.ElectionTimeoutMS, cl.HeartbeatIntervalMS)
	}

	if cl.Secret != "" && len(cl.Secret) < minSecretLength {
		ch.fail("cluster.secret", "must be at least %d characters (for example the output of `openssl rand -hex 32`)", minSecretLength)
	}
	if cl.PreviousSecret != "" && cl.Secret == "" {
		ch.fail("cluster.previous_secret", "is accepted only during a rollover to a new cluster.secret: set cluster.secret too")
	}
	if cl.Secret != "" && cl.TLSCertFile != "" {
		ch.fail("cluster.tls_cert_file", "cannot be used with cluster.secret: nodes authenticate with the secret or with certificates, not both")
	}
	if (cl.TLSCertFile != "" || cl.TLSKeyFile != "" || cl.TLSCAFile != "") && (cl.TLSCertFile == "" || cl.TLSKeyFile == "" || cl.TLSCAFile == "") {
		ch.fail("cluster.tls_cert_file", "cluster.tls_cert_file, cluster.tls_key_file and cluster.tls_ca_file are set together")
	}
	if cl.JoinToken != "" && cl.Join == "" {
		ch.fail("cluster.join_token", "is used with cluster.join (the address of the node to join)")
	}

	st := &c.Storage
	if st.DataDir == "" {
		ch.fail("storage.data_dir", "must not be empty")
	}
	inRange(ch, "storage.chunk_size", st.ChunkSize, 64*KiB, 64*MiB)
	inRange(ch, "storage.metadata_cache_size", st.MetadataCacheSize, 1*MiB, 1*TiB)
	inRange(ch, "storage.io_threads", st.IOThreads, 1, 1024)
	if inRange(ch, "storage.inline_threshold", st.InlineThreshold, 0, 1*MiB) && st.InlineThreshold > st.ChunkSize {
		ch.fail("storage.inline_threshold", "%v must not exceed storage.chunk_size (%v)", st.InlineThreshold, st.ChunkSize)
	}
	inRange(ch, "storage.gc_grace_secs", st.GCGraceSecs, 1, maxMonthSecs)
	inRange(ch, "storage.gc_interval_secs", st.GCIntervalSecs, 1, maxDaySecs)
	inRange(ch, "storage.free_space_reserve", st.FreeSpaceReserve, 0, 1*TiB)
	inRange(ch, "storage.scrub_rate", st.ScrubRate, 0, 10*GiB)
	inRange(ch, "storage.scrub_pause_secs", st.ScrubPauseSecs, 1, maxDaySecs)

	s3 := &c.S3
	if s3.Region != "" {
		// Empty means any signing region is accepted (docs/configuration.md).
		ch.name("s3.region", s3.Region)
	}
	for _, d := range s3.Domains {
		if d == "" || strings.ContainsAny(d, ":/ \t") {
			ch.fail("s3.domains", "%q is not a host name (no scheme, port or path)", d)
		}
	}
	if s3.VirtualHostStyle && len(s3.Domains) == 0 {
		ch.fail("s3.domains", "must not be empty when s3.virtual_host_style is true")
	}
	inRange(ch, "s3.max_body_size", s3.MaxBodySize, 1*MiB, 5*TiB)
	inRange(ch, "s3.request_timeout_secs", s3.RequestTimeoutSecs, 1, maxDaySecs)
	if inRange(ch, "s3.min_part_size", s3.MinPartSize, 1, 5*GiB) && s3.MinPartSize > s3.MaxBodySize {
		ch.fail("s3.min_part_size", "%v must not exceed s3.max_body_size (%v)", s3.MinPartSize, s3.MaxBodySize)
	}

	ch.certPair("s3.tls_cert_file", s3.TLSCertFile, "s3.tls_key_file", s3.TLSKeyFile)
	ch.certPair("admin.tls_cert_file", c.Admin.TLSCertFile, "admin.tls_key_file", c.Admin.TLSKeyFile)

	r := &c.Raft
	inRange(ch, "raft.snapshot_interval", r.SnapshotInterval, 1, maxRaftEntries)
	inRange(ch, "raft.max_log_entries", r.MaxLogEntries, 1, maxRaftEntries)
	if inRange(ch, "raft.compaction_threshold", r.CompactionThreshold, 0, maxRaftEntries) &&
		r.CompactionThreshold >= r.MaxLogEntries {
		ch.fail("raft.compaction_threshold", "%d must be less than raft.max_log_entries (%d)", r.CompactionThreshold, r.MaxLogEntries)
	}

	p := &c.Parquet
	if p.EnableCache {
		inRange(ch, "parquet.cache_size", p.CacheSize, 1*MiB, 1*TiB)
	}
	inRange(ch, "parquet.row_group_size", p.RowGroupSize, 1, 100_000_000)

	m := &c.Metrics
	inRange(ch, "metrics.interval_secs", m.IntervalSecs, 1, 3600)
	inRange(ch, "metrics.retention_secs", m.RetentionSecs, 0, maxMonthSecs)
	switch m.Auth {
	case "none":
	case "bearer":
		if len(m.BearerToken) < 16 {
			ch.fail("metrics.bearer_token", "must be at least 16 characters when metrics.auth is \"bearer\"")
		}
	default:
		ch.fail("metrics.auth", "%q is not \"none\" or \"bearer\"", m.Auth)
	}

	l := &c.Logging
	if _, err := parseLevel(l.Level); err != nil {
		ch.fail("logging.level", "%v", err)
	}
	inRange(ch, "logging.max_size", l.MaxSize, 1*MiB, 100*GiB)

	lc := &c.Lifecycle
	inRange(ch, "lifecycle.interval_secs", lc.IntervalSecs, 1, maxDaySecs)
	inRange(ch, "lifecycle.rate", lc.Rate, 1, 100_000)
	inRange(ch, "lifecycle.day_seconds", lc.DaySeconds, 1, 86400)

	nt := &c.Notify
	inRange(ch, "notify.queue_limit", nt.QueueLimit, 1, 10_000_000)
	if e := nt.WebhookEndpoint; e != "" {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ch.fail("notify.webhook_endpoint", "%q is not an http:// or https:// URL", e)
		}
	}
	if nt.RedisAddr != "" {
		if _, _, err := net.SplitHostPort(nt.RedisAddr); err != nil {
			ch.fail("notify.redis_addr", "%q is not host:port", nt.RedisAddr)
		}
		if nt.RedisKey == "" {
			ch.fail("notify.redis_key", "must not be empty when notify.redis_addr is set")
		}
	}

	au := &c.Audit
	inRange(ch, "audit.max_size", au.MaxSize, 1*MiB, 100*GiB)
	inRange(ch, "audit.max_backups", au.MaxBackups, 0, 1000)
	inRange(ch, "audit.webhook_batch", au.WebhookBatch, 1, 10000)
	inRange(ch, "audit.webhook_buffer", au.WebhookBuffer, 1, 1_000_000)
	if u := au.WebhookURL; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		ch.fail("audit.webhook_url", "%q is not an http or https URL", u)
	}

	// The same rules as MinIO, so that credentials that work there work here.
	if len(c.RootUser) < 3 {
		ch.errs = append(ch.errs, fmt.Errorf("%s: must be at least 3 characters", envRootUser))
	}
	if len(c.RootPassword) < 8 {
		ch.errs = append(ch.errs, fmt.Errorf("%s: must be at least 8 characters", envRootPassword))
	}
	return errors.Join(ch.errs...)
}

// minSecretLength is peer.MinSecretLength (config does not import peer).
const minSecretLength = 32

// certPair checks that a certificate and its key are set together.
func (ch *checker) certPair(certKey, cert, keyKey, key string) {
	if (cert == "") != (key == "") {
		ch.fail(certKey, "%s and %s are set together", certKey, keyKey)
	}
}

// checker collects validation errors.
type checker struct {
	sources map[string]string // key -> who set it, when known
	errs    []error
}

// fail records that key is invalid, naming where its value came from.
func (ch *checker) fail(key, format string, args ...any) {
	msg := key + ": " + fmt.Sprintf(format, args...)
	if src := ch.sources[key]; src != "" {
		msg += " (set by " + src + ")"
	}
	ch.errs = append(ch.errs, errors.New(msg))
}

// inRange checks lo <= v <= hi and reports whether it holds.
func inRange[T cmp.Ordered](ch *checker, key string, v, lo, hi T) bool {
	if v < lo || v > hi {
		ch.fail(key, "%v is out of range (accepted %v..%v)", v, lo, hi)
		return false
	}
	return true
}

func (ch *checker) name(key, v string) {
	if v == "" || strings.ContainsAny(v, " \t\r\n") {
		ch.fail(key, "%q must be non-empty and contain no spaces", v)
	}
}

// listenAddr checks a host:port to listen on; the host may be empty (all
// interfaces) and the port 0 (any free port, useful in tests).
func (ch *checker) listenAddr(key, v string) {
	if _, _, ok := splitAddr(v); !ok {
		ch.fail(key, "%q is not host:port with a port in 0..65535 (for example \":8080\" or \"0.0.0.0:8080\")", v)
	}
}

// dialAddr checks a host:port to connect to: both parts are needed.
func (ch *checker) dialAddr(key, v string) {
	host, port, ok := splitAddr(v)
	if !ok || host == "" || port == 0 {
		ch.fail(key, "%q is not host:port with a host and a port in 1..65535 (for example \"anode-2:9090\")", v)
	}
}

type keyAddr struct{ key, addr string }

// distinct checks that no two listeners share an address.
func (ch *checker) distinct(addrs ...keyAddr) {
	for i, a := range addrs {
		for _, b := range addrs[i+1:] {
			_, port, ok := splitAddr(a.addr)
			if ok && port != 0 && a.addr == b.addr {
				ch.fail(b.key, "%q is also %s: each listener needs its own address", b.addr, a.key)
			}
		}
	}
}

func splitAddr(v string) (host string, port int, ok bool) {
	host, p, err := net.SplitHostPort(v)
	if err != nil {
		return "", 0, false
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, false
	}
	return host, port, true
}
