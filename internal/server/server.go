// Package server assembles one Anode node from its configuration: the
// Pebble instance, the chunk store, the raft host with the system group and
// the placement groups, the object service, the S3 API and the admin API.
package server

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/admin"
	"github.com/anode/anode/internal/audit"
	"github.com/anode/anode/internal/auth"
	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/kms"
	"github.com/anode/anode/internal/lifecycle"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/metrics"
	"github.com/anode/anode/internal/notify"
	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/peer"
	"github.com/anode/anode/internal/replica"
	"github.com/anode/anode/internal/s3api"
)

// Server is one running Anode node.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	db      *pebble.DB
	chunks  *chunk.Store
	host    *cluster.Host
	meta    *meta.Store
	objects *object.Service
	kms     *kms.Service

	members     *cluster.Membership
	bootMembers []cluster.Node // the initial members, when this node bootstrapped the cluster
	reconcile   atomic.Pointer[cluster.ReconcileStats]
	transport   *cluster.HTTPTransport
	replicas    *replica.Chunks

	self      atomic.Pointer[peer.Identity]
	seen      *seenPeers
	peerCreds peer.Credentials
	peerTLS   *peer.TLS
	peerMux   atomic.Pointer[http.ServeMux]

	s3Srv, adminSrv, clusterSrv *http.Server
	s3Ln, adminLn, clusterLn    net.Listener

	audit *audit.Logger

	scrubber *replica.Scrubber
	repairer *replica.Repairer
	gc       gcStatus

	stopGC    chan struct{}
	wg        sync.WaitGroup
	lifecycle *lifecycle.Runner
	notifier  *notify.Notifier
}

// New opens the node's storage and starts its raft groups. Call Serve to
// start answering requests and Shutdown to stop.
func New(cfg *config.Config, log *slog.Logger) (*Server, error) {
	master, err := kms.LoadMasterKey(cfg.KMSMasterKey, cfg.KMS.MasterKeyFile, cfg.Storage.DataDir)
	if err != nil {
		return nil, err
	}
	if err := CheckClusterConfig(cfg); err != nil {
		return nil, err
	}
	initial, err := clusterNodes(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, stopGC: make(chan struct{})}
	if err := os.MkdirAll(cfg.Storage.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if s.notifier, err = newNotifier(cfg, s); err != nil {
		return nil, fmt.Errorf("event notifications: %w", err)
	}
	db, err := pebble.Open(filepath.Join(cfg.Storage.DataDir, "meta"), &pebble.Options{
		Cache:  pebble.NewCache(int64(cfg.Storage.MetadataCacheSize)),
		Logger: pebbleLogger{log},
	})
	if err != nil {
		return nil, fmt.Errorf("open metadata store: %w", err)
	}
	s.db = db
	if err := checkLayout(db, cfg.Cluster.PlacementGroups); err != nil {
		db.Close()
		return nil, err
	}
	s.chunks, err = chunk.Open(chunk.Options{
		Dir: filepath.Join(cfg.Storage.DataDir, "chunks"), NoSync: !cfg.Storage.SyncWrites, Logger: log,
		MinFree: minFree(cfg.Storage.FreeSpaceReserve),
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open chunk store: %w", err)
	}
	fail := func(err error) (*Server, error) {
		if s.clusterSrv != nil {
			s.clusterSrv.Close()
		} else if s.clusterLn != nil {
			s.clusterLn.Close()
		}
		s.chunks.Close()
		db.Close()
		return nil, err
	}
	s.seen = &seenPeers{db: db, seen: map[uint64]bool{}}
	_, known, err := readIdentity(cfg.Storage.DataDir)
	if err != nil {
		return fail(err)
	}
	creds, haveCreds, err := peerCredentials(cfg, !known)
	if err != nil {
		return fail(fmt.Errorf("cluster credentials: %w", err))
	}
	if !haveCreds && cfg.Cluster.JoinToken == "" {
		return fail(errors.New("joining a cluster needs proof: set cluster.secret (or the cluster.tls_* certificates) or give --join-token from 'anode admin join-token'"))
	}
	s.clusterLn, err = net.Listen("tcp", cfg.Node.GRPCAddr)
	if err != nil {
		return fail(fmt.Errorf("cluster listener: %w", err))
	}
	// The cluster port answers /identity (to members) from the start, so
	// that initial members that bootstrap together can check each other;
	// every other path waits for the node to be up.
	early := http.NewServeMux()
	early.HandleFunc("GET /identity", s.identityHandler)
	s.peerMux.Store(early)
	setup := &clusterSetup{
		dataDir: cfg.Storage.DataDir, id: cfg.Node.ID, initial: initial, join: cfg.Cluster.Join,
		addr: cfg.Node.GRPCAddr, name: cfg.Cluster.Name, groups: cfg.Cluster.PlacementGroups,
	}
	var joinClient *http.Client
	if haveCreds {
		if err := s.startClusterPort(creds); err != nil {
			return fail(err)
		}
		joinClient = &http.Client{Transport: &http.Transport{TLSClientConfig: s.peerTLS.ClientConfig()}}
	} else {
		fp, _, err := parseJoinToken(cfg.Cluster.JoinToken)
		if err != nil {
			return fail(fmt.Errorf("cluster.join_token: %w", err))
		}
		setup.token = cfg.Cluster.JoinToken
		joinClient = &http.Client{Transport: &http.Transport{TLSClientConfig: peer.JoinClientConfig(fp)}}
	}
	ident, nodes, secret, err := s.resolveIdentity(context.Background(), setup, db, joinClient)
	if err != nil {
		return fail(fmt.Errorf("cluster membership: %w", err))
	}
	if !haveCreds {
		if err := s.startClusterPort(peer.Credentials{Secret: secret, ClusterName: cfg.Cluster.Name}); err != nil {
			return fail(err)
		}
	}
	id, boot := ident.ID, ident.Boot
	cfg.Node.ID = id
	s.self.Store(&peer.Identity{ClusterID: ident.ClusterID, NodeID: id})
	s.members = cluster.NewMembership(nodes)
	ids := s.members.IDs()
	peerClient := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute, TLSClientConfig: s.peerTLS.ClientConfig(),
		TLSHandshakeTimeout: 10 * time.Second,
	}}
	s.transport = cluster.NewHTTPTransport(*s.self.Load(), peerClient, log)
	for _, n := range nodes {
		if n.ID != id {
			s.transport.SetPeer(n.ID, n.Addr)
		}
	}
	s.host = cluster.NewHost(cluster.Config{
		NodeID: id, DB: db, TickInterval: cfg.Cluster.HeartbeatInterval(),
		HeartbeatTicks: 1, ElectionTicks: cfg.Cluster.ElectionTicks(),
		CompactAfter: cfg.Raft.SnapshotInterval, KeepEntries: cfg.Raft.CompactionThreshold,
		NoSync: !cfg.Storage.SyncWrites, Logger: log, Transport: s.transport,
	})
	s.transport.SetHost(s.host)
	s.host.SetPlacement(func(gid uint64) []uint64 {
		return cluster.GroupVoters(gid, s.members.IDs(), s.replicationFactor())
	})
	// Every node holds every group: as a voter where placement puts one of
	// the group's replicas, as a learner elsewhere. Learners make every
	// node able to serve linearizable reads (ReadIndex through the leader)
	// and give garbage collection a complete mark set locally. A joining
	// node starts its groups empty; their leaders add it (see Reconcile).
	for gid := uint64(0); gid <= uint64(cfg.Cluster.PlacementGroups); gid++ {
		var voters, learners []uint64
		if boot {
			voters = cluster.GroupVoters(gid, ids, s.replicationFactor())
			learners = without(ids, voters)
		}
		if err := s.host.AddGroup(gid, voters, learners, meta.NewStateMachine(gid)); err != nil {
			return fail(err)
		}
	}
	if boot {
		s.bootMembers = nodes
	}
	s.replicas = replica.New(replica.Config{
		Self: id, Local: s.chunks, Members: s.members, ReplicationFactor: s.replicationFactor(),
		ClusterID: ident.ClusterID, Client: peerClient, Logger: log,
	})
	s.scrubber = replica.NewScrubber(s.replicas, replica.ScrubConfig{
		Rate: int64(cfg.Storage.ScrubRate), Pause: cfg.Storage.ScrubPause()})
	s.meta = meta.NewStore(s.host, db, cfg.Cluster.PlacementGroups)
	s.repairer = replica.NewRepairer(s.replicas, s.chunkRefs, replica.RepairConfig{
		Rate: int64(cfg.Storage.RepairRate), Pause: cfg.Storage.RepairPause()})
	mux := http.NewServeMux()
	mux.Handle("/raft", s.host.Handler(cluster.MaxRaftBody))
	// The largest chunk is an encrypted full one: its GCM tags come on top.
	mux.Handle("/chunks/", replica.Handler(s.chunks, meta.EncryptedSize(int64(cfg.Storage.ChunkSize))))
	mux.HandleFunc("/join", s.joinHandler)
	mux.HandleFunc("GET /identity", s.identityHandler)
	s.peerMux.Store(mux)
	s.host.Start()
	// The master key was checked at the start of New: this cannot fail.
	if s.kms, err = kms.New(s.meta, master); err != nil {
		panic(err)
	}
	if master == nil {
		log.Info("no KMS master key (ANODE_KMS_MASTER_KEY or kms.master_key_file): server-side encryption requests will be refused")
	}
	s.objects = object.New(object.Config{
		KMS:  s.kms,
		Meta: s.meta, Chunks: s.replicas, ChunkSize: int(cfg.Storage.ChunkSize),
		InlineThreshold: int64(cfg.Storage.InlineThreshold), GCGrace: cfg.Storage.GCGrace(),
		MaxObjectSize: int64(cfg.S3.MaxBodySize), MinPartSize: int64(cfg.S3.MinPartSize), Logger: log,
		Parquet: object.ParquetConfig{
			EnableCache: cfg.Parquet.EnableCache, CacheSize: int64(cfg.Parquet.CacheSize),
			PredicatePushdown: cfg.Parquet.EnablePredicatePushdown, ColumnPruning: cfg.Parquet.EnableColumnPruning,
		},
		LifecycleDay: cfg.Lifecycle.Day(),
		OnEvent:      s.publishObjectEvent,
	})
	s.lifecycle = s.newLifecycleRunner()
	metrics.SetStatsSource(func() (int64, int64) {
		st, err := s.meta.Stats()
		if err != nil {
			return 0, 0
		}
		return st.Objects, st.Bytes
	})
	return s, nil
}

// startClusterPort serves the cluster port over mutual TLS, every request
// through the peer guard (authentication, cluster and node IDs, a bound on
// concurrent requests).
func (s *Server) startClusterPort(creds peer.Credentials) error {
	t, err := peer.New(creds)
	if err != nil {
		return err
	}
	s.peerTLS, s.peerCreds = t, creds
	guard := &peer.Guard{
		Self: func() peer.Identity {
			if id := s.self.Load(); id != nil {
				return *id
			}
			return peer.Identity{}
		},
		MaxConcurrent: maxPeerRequests,
		Seen:          s.seen.add,
		Unidentified:  map[string]bool{"/join": true, "/identity": true},
	}
	h := guard.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.peerMux.Load().ServeHTTP(w, r)
	}))
	s.clusterSrv = &http.Server{
		Handler: h, TLSConfig: t.ServerConfig(),
		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go s.clusterSrv.Serve(tls.NewListener(s.clusterLn, s.clusterSrv.TLSConfig))
	return nil
}

// maxPeerRequests bounds the requests the cluster port serves at once: with
// chunk bodies of up to storage.chunk_size each, it bounds their memory.
const maxPeerRequests = 128

// checkLayout records the number of placement groups the first time the
// data directory is used and refuses to start with a different number:
// keys would be looked for in the wrong groups.
func checkLayout(db *pebble.DB, groups int) error {
	key := []byte("c/placement_groups")
	v, closer, err := db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return db.Set(key, binary.BigEndian.AppendUint64(nil, uint64(groups)), pebble.Sync)
	}
	if err != nil {
		return fmt.Errorf("read layout: %w", err)
	}
	defer closer.Close()
	if have := binary.BigEndian.Uint64(v); have != uint64(groups) {
		return fmt.Errorf("data directory was created with cluster.placement_groups = %d; it cannot be changed to %d", have, groups)
	}
	return nil
}

// Objects returns the node's object service.
func (s *Server) Objects() *object.Service { return s.objects }

// Serve listens on the S3 and admin addresses and serves until Shutdown.
// It returns once the listeners are open.
func (s *Server) Serve() error {
	var err error
	if s.s3Ln, err = net.Listen("tcp", s.cfg.Node.S3Addr); err != nil {
		return fmt.Errorf("s3 listener: %w", err)
	}
	if s.adminLn, err = net.Listen("tcp", s.cfg.Node.AdminAddr); err != nil {
		s.s3Ln.Close()
		return fmt.Errorf("admin listener: %w", err)
	}
	if err := s.wrapClientTLS(); err != nil {
		s.s3Ln.Close()
		s.adminLn.Close()
		return err
	}
	auditLog, err := audit.New(audit.Config{
		File: s.cfg.Audit.File, MaxSizeMB: int((s.cfg.Audit.MaxSize + config.MiB - 1) / config.MiB),
		MaxBackups: s.cfg.Audit.MaxBackups, Fallback: s.log.With("log", "audit"),
		WebhookURL: s.cfg.Audit.WebhookURL, BatchSize: s.cfg.Audit.WebhookBatch, BufferSize: s.cfg.Audit.WebhookBuffer,
		Logger: s.log,
	})
	if err != nil {
		s.s3Ln.Close()
		s.adminLn.Close()
		return err
	}
	s.audit = auditLog
	identities, err := iam.NewStore(s.meta, s.cfg.RootUser, s.cfg.RootPassword)
	if err == nil && s.cfg.RootPreviousUser != "" {
		err = identities.SetPreviousRoot(s.cfg.RootPreviousUser, s.cfg.RootPreviousPassword)
	}
	if err != nil {
		s.s3Ln.Close()
		s.adminLn.Close()
		return err
	}
	// The admin API accepts the root credentials only; S3 also IAM keys.
	rootOnly := &auth.Verifier{Creds: auth.StaticCredentials{s.cfg.RootUser: s.cfg.RootPassword}, Region: s.cfg.S3.Region}
	h := s3api.NewHandler(s3api.Config{
		Objects: s.objects, Auth: &auth.Verifier{Creds: identities, Region: s.cfg.S3.Region}, IAM: identities,
		Region: s.cfg.S3.Region, Domains: s.cfg.S3.Domains, VirtualHost: s.cfg.S3.VirtualHostStyle,
		MaxBodySize: int64(s.cfg.S3.MaxBodySize), Logger: s.log, Audit: auditLog,
		Notifier:          s.notifier,
		AllowSSECOverHTTP: s.cfg.S3.AllowSSECOverHTTP,
	})
	s.s3Srv = s3api.NewServer(s.cfg.Node.S3Addr, h, s.cfg.S3.RequestTimeout())
	metricsToken := ""
	if s.cfg.Metrics.Auth == "bearer" {
		metricsToken = s.cfg.Metrics.BearerToken
	}
	s.adminSrv = &http.Server{
		Handler: s.withConsole(identities, h, admin.NewHandler(admin.Config{
			Ready: s.ready, Status: s.host.Status, NodeID: s.cfg.Node.ID, Name: s.cfg.Node.Name,
			Nodes:      s.members.Nodes,
			Reconcile:  func() *cluster.ReconcileStats { return s.reconcile.Load() },
			Storage:    s.storageStatus,
			RemoveNode: s.removeNodeHandler,
			Lifecycle:  func() any { return s.lifecycle.Status() },
			JoinToken:  s.joinTokenHandler,
			Pprof:      s.cfg.Metrics.EnablePprof,
			Auth:       rootOnly,
			Authorize: func(_ *http.Request, accessKey string) error {
				if accessKey != s.cfg.RootUser {
					return fmt.Errorf("access key %q may not use the admin API: it is for the root user", accessKey)
				}
				return nil
			},
			MetricsToken:   metricsToken,
			DisableMetrics: !s.cfg.Metrics.Enabled,
			Routes:         admin.MergeRoutes(admin.IAMRoutes(identities), admin.KMSRoutes(s.kms, s.objects.RewrapKey), admin.SnapshotRoutes(s.objects)),
			Audit:          auditLog,
		})),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		IdleTimeout:       2 * time.Minute,
	}
	for _, pair := range []struct {
		srv *http.Server
		ln  net.Listener
	}{{s.s3Srv, s.s3Ln}, {s.adminSrv, s.adminLn}} {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := pair.srv.Serve(pair.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("http server stopped", "addr", pair.ln.Addr(), "err", err)
			}
		}()
	}
	s.wg.Add(6)
	go s.runNotifier()
	go s.runLifecycle()
	go s.runGC()
	go s.runRepair()
	go s.runMembership(s.bootMembers)
	go func() {
		defer s.wg.Done()
		ctx, cancel := s.passContext(100 * 365 * 24 * time.Hour) // ends at shutdown
		defer cancel()
		s.scrubber.Run(ctx)
	}()
	s.log.Info("anode serving", "s3", s.s3Ln.Addr().String(), "admin", s.adminLn.Addr().String(),
		"s3_scheme", scheme(s.cfg.S3.TLSCertFile), "admin_scheme", scheme(s.cfg.Admin.TLSCertFile),
		"cluster_id", s.self.Load().ClusterID, "data_dir", s.cfg.Storage.DataDir, "node_id", s.cfg.Node.ID, "placement_groups", s.cfg.Cluster.PlacementGroups)
	return nil
}

func scheme(certFile string) string {
	if certFile != "" {
		return "https"
	}
	return "http"
}

// wrapClientTLS makes the S3 and admin listeners serve HTTPS when they have
// certificates. The certificate files are read again when they change
// (peer.ReloadingCert), so a renewal needs no restart.
func (s *Server) wrapClientTLS() error {
	for _, l := range []struct {
		name, cert, key string
		ln              *net.Listener
	}{
		{"s3", s.cfg.S3.TLSCertFile, s.cfg.S3.TLSKeyFile, &s.s3Ln},
		{"admin", s.cfg.Admin.TLSCertFile, s.cfg.Admin.TLSKeyFile, &s.adminLn},
	} {
		if l.cert == "" {
			continue
		}
		rc, err := peer.NewReloadingCert(l.cert, l.key)
		if err != nil {
			return fmt.Errorf("%s.tls_cert_file: %w", l.name, err)
		}
		*l.ln = tls.NewListener(*l.ln, &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: rc.GetCertificate,
			NextProtos:     []string{"http/1.1"},
		})
	}
	return nil
}

// S3Addr and AdminAddr return the addresses being served (useful with port 0).
func (s *Server) S3Addr() string    { return s.s3Ln.Addr().String() }
func (s *Server) AdminAddr() string { return s.adminLn.Addr().String() }

// ready reports whether every group has a leader and the system group
// answers a linearizable read.
func (s *Server) ready(ctx context.Context) error {
	st, err := s.host.Status(ctx)
	if err != nil {
		return err
	}
	for _, g := range st {
		if g.Leader == 0 {
			return fmt.Errorf("group %d has no leader", g.ID)
		}
	}
	return s.host.ReadBarrier(ctx, meta.SystemGroup)
}

// WaitReady blocks until the node is ready or ctx ends.
func (s *Server) WaitReady(ctx context.Context) error {
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		err := s.ready(rctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// runGC runs garbage collection every storage.gc_interval_secs. Chunk
// repair has its own loop (repair.go). Incomplete multipart uploads are
// kept until they are completed or aborted, by the client or by a bucket's
// lifecycle rule (AbortIncompleteMultipartUpload).
func (s *Server) runGC() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Storage.GCInterval())
	defer t.Stop()
	for {
		select {
		case <-s.stopGC:
			return
		case <-t.C:
			// Each pass is bounded: a node cut off from its groups must not
			// block here (nor its shutdown) waiting for read barriers.
			ctx, cancel := s.passContext(time.Minute)
			if _, err := s.CollectGarbage(ctx); err != nil {
				s.log.Warn("garbage collection", "err", err)
			}
			cancel()
		}
	}
}

// CollectGarbage runs one garbage collection pass now.
func (s *Server) CollectGarbage(ctx context.Context) (chunk.SweepStats, error) {
	s.gc.start(time.Now())
	st, err := object.CollectGarbage(ctx, s.meta, s.chunks, time.Now, s.cfg.Storage.GCGrace())
	s.gc.finish(time.Now(), st, err)
	if err == nil && st.Deleted > 0 {
		s.log.Info("garbage collection", "deleted_chunks", st.Deleted, "freed_bytes", st.DeletedBytes)
	}
	return st, err
}

// passContext returns a context for one background pass: it ends after d
// or when the server shuts down.
func (s *Server) passContext(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	go func() {
		select {
		case <-s.stopGC:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// Shutdown stops accepting requests, lets in-flight requests finish (until
// ctx ends), then stops raft and closes the stores. Every acknowledged
// write is already durable; Shutdown loses nothing.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	if s.s3Srv != nil {
		errs = append(errs, s.s3Srv.Shutdown(ctx), s.adminSrv.Shutdown(ctx))
		close(s.stopGC)
		s.wg.Wait()
	}
	if s.clusterSrv != nil {
		errs = append(errs, s.clusterSrv.Close())
	}
	s.host.Stop()
	s.transport.Close()
	errs = append(errs, s.audit.Close(), s.chunks.Close(), s.db.Close())
	return errors.Join(errs...)
}

type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
	os.Exit(1)
}

// clusterNodes returns the members the node starts with: the initial
// members of a new cluster, or this node alone.
func clusterNodes(cfg *config.Config) ([]cluster.Node, error) {
	if len(cfg.Cluster.InitialMembers) == 0 {
		return []cluster.Node{{ID: cfg.Node.ID, Addr: cfg.Node.GRPCAddr}}, nil
	}
	nodes, err := cluster.InitialMembers(cfg.Cluster.InitialMembers)
	if err != nil {
		return nil, err
	}
	if cfg.Node.ID < 1 || cfg.Node.ID > uint64(len(nodes)) {
		return nil, fmt.Errorf("node.id %d: with %d initial members, node ids are 1..%d (the i-th member is node i)",
			cfg.Node.ID, len(nodes), len(nodes))
	}
	return nodes, nil
}

// without returns the ids not in drop.
func without(ids, drop []uint64) []uint64 {
	var out []uint64
	for _, id := range ids {
		found := false
		for _, d := range drop {
			found = found || d == id
		}
		if !found {
			out = append(out, id)
		}
	}
	return out
}

// ClusterAddr returns the address of the cluster port.
func (s *Server) ClusterAddr() string { return s.clusterLn.Addr().String() }

// minFree turns storage.free_space_reserve into chunk.Options.MinFree, where
// zero means the default and a negative value none.
func minFree(reserve config.Size) int64 {
	if reserve == 0 {
		return -1
	}
	return int64(reserve)
}
