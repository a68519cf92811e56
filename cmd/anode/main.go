// Command anode is the Anode object store: one binary with the S3 API, the
// raft consensus and the storage engine.
//
//	anode server [flags]   run a node (with no flags: a one-node cluster on
//	                       :8080 (S3), :9090 (cluster), :8081 (admin), data in ./data)
//	anode bench [flags]    benchmark an S3 endpoint and this machine's limits
//	anode admin status     show the cluster: nodes, groups, leaders
//	anode admin remove-node ID, anode admin join-token
//	                       operate the cluster (signed with the root credentials)
//	anode fsck [flags]     check the data directory of a stopped node
//	anode version          print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/anode/anode/internal/bench"
	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = runServer(os.Args[2:])
	case "bench":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err = bench.Main(ctx, os.Args[2:], os.Stdout, os.Stderr)
		stop()
	case "admin":
		err = runAdmin(os.Args[2:])
	case "fsck":
		err = runFsck(os.Args[2:])
	case "version", "--version", "-v":
		fmt.Println("anode", version)
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "anode: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "anode:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: anode <command> [flags]

commands:
  server    run a node (no flags needed: S3 on :8080, admin on :8081, data in ./data)
  bench     benchmark an S3 endpoint and measure this machine's limits
  admin     operate a running cluster (status, remove-node, join-token)
  fsck      check the data directory of a stopped node
  version   print the version

Run 'anode <command> -h' for the flags of a command.
`)
}

func runServer(args []string) error {
	cfg, err := config.Load(args, os.Environ())
	if err != nil {
		return err
	}
	log, closer, err := cfg.Logger()
	if err != nil {
		return err
	}
	defer closer.Close()
	if cfg.DefaultCredentials {
		log.Warn("ANODE_ROOT_USER and ANODE_ROOT_PASSWORD are not set: using the default credentials minioadmin/minioadmin; set them before exposing this server")
	}
	srv, err := server.New(cfg, log)
	if err != nil {
		return err
	}
	if err := srv.Serve(); err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	sig := <-sigc
	log.Info("shutting down: waiting for in-flight requests", "signal", sig.String())
	ctx, cancel := context.WithTimeout(context.Background(), cfg.S3.RequestTimeout()+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// runFsck checks a stopped node's data directory.
func runFsck(args []string) error {
	fs := flag.NewFlagSet("fsck", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "./data", "the data directory of a stopped node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := server.Fsck(*dataDir)
	if err != nil {
		return err
	}
	fmt.Printf("checked %d placement groups: %d versions, %d chunk references\n", r.Groups, r.Versions, r.ChunkRefs)
	fmt.Printf("unreferenced chunks: %d (%d bytes), reclaimed by garbage collection after storage.gc_grace_secs\n", r.UnreferencedChunks, r.UnreferencedBytes)
	for _, p := range r.Problems {
		fmt.Println("problem:", p)
	}
	if !r.OK() {
		return fmt.Errorf("fsck found %d problems (%d bad chunks, %d groups with wrong statistics)", len(r.Problems), r.BadChunks, r.StatsMismatch)
	}
	fmt.Println("ok")
	return nil
}
