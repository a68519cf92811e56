// Package testutil starts real Anode servers for tests: the whole node
// (raft host, Pebble, chunk store, S3 and admin APIs) on loopback ports.
package testutil

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/server"
)

// Credentials of the servers started here.
const (
	AccessKey = "anodetest"
	SecretKey = "anodetest-secret"
)

// Server is a running test server.
type Server struct {
	*server.Server
	Endpoint  string // http://127.0.0.1:port of the S3 API
	AdminURL  string // http://127.0.0.1:port of the admin API
	DataDir   string
	AccessKey string
	SecretKey string
	stop      func()
}

// Stop shuts the server down (it is also stopped when the test ends), so
// that a test can start another on the same data directory.
func (s *Server) Stop() { s.stop() }

// Options adjust the configuration of a test server.
type Options struct {
	// DataDir reuses a data directory (to restart a server); empty means a
	// new temporary one.
	DataDir string
	// Configure may change the configuration before the server starts.
	Configure func(*config.Config)
}

// StartServer starts a one-node server with default settings and returns
// its endpoint and credentials. It is stopped when the test ends.
func StartServer(t testing.TB) (endpoint, accessKey, secretKey string) {
	s := Start(t, Options{})
	return s.Endpoint, s.AccessKey, s.SecretKey
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.Storage.DataDir = opts.DataDir
	if cfg.Storage.DataDir == "" {
		cfg.Storage.DataDir = t.TempDir()
	}
	cfg.Node.S3Addr = "127.0.0.1:0"
	cfg.Node.AdminAddr = "127.0.0.1:0"
	cfg.Node.GRPCAddr = "127.0.0.1:0"
	cfg.Cluster.PlacementGroups = 16
	cfg.RootUser, cfg.RootPassword = AccessKey, SecretKey
	if opts.Configure != nil {
		opts.Configure(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test server config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv, err := server.New(cfg, log)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	if err := srv.Serve(); err != nil {
		srv.Shutdown(context.Background())
		t.Fatalf("serve: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.WaitReady(ctx); err != nil {
		srv.Shutdown(context.Background())
		t.Fatalf("server not ready: %v", err)
	}
	s := &Server{
		Server: srv, Endpoint: "http://" + srv.S3Addr(), AdminURL: "http://" + srv.AdminAddr(),
		DataDir: cfg.Storage.DataDir, AccessKey: AccessKey, SecretKey: SecretKey,
	}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(s.stop)
	return s
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
