// Package bench implements `anode bench`: a load generator that drives any
// S3 endpoint and, in the same run, measures the limits of the machine it
// runs on (disk bandwidth, fsync latency, hashing and loopback throughput),
// so that results can be compared across machines as fractions of those
// limits. See docs/bench-tool.md.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Func is a sub-benchmark: it parses its own flags from args and runs.
type Func func(ctx context.Context, args []string, stdout, stderr io.Writer) error

var (
	registryMu  sync.Mutex // guards subcommands
	subcommands = map[string]Func{}
)

func init() {
	Register("s3", RunS3)
}

// Register makes a sub-benchmark available as `anode bench name`. It is
// meant to be called from an init function; registering a name twice panics.
func Register(name string, fn Func) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := subcommands[name]; dup {
		panic("bench: Register called twice for " + name)
	}
	subcommands[name] = fn
}

func registeredNames() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Main runs `anode bench [sub-benchmark] [flags]`. A first argument that is
// not a flag names the sub-benchmark; without one it is "s3".
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name := "s3"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	registryMu.Lock()
	fn := subcommands[name]
	registryMu.Unlock()
	if fn == nil {
		return fmt.Errorf("bench: unknown sub-benchmark %q (have %s)", name, strings.Join(registeredNames(), ", "))
	}
	return fn(ctx, args, stdout, stderr)
}

// RunS3 is the s3 sub-benchmark: it parses its flags, measures the machine's
// limits, populates the objects the operation needs, runs the timed load,
// prints the report and writes it as JSON if asked. It returns an error if
// any operation failed, after reporting.
func RunS3(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseS3Flags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := runS3(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	// The table goes to stderr when stdout carries the JSON.
	table := stdout
	if cfg.JSONPath == "-" {
		table = stderr
	}
	if err := rep.WriteTable(table); err != nil {
		return err
	}
	if cfg.JSONPath != "" {
		if err := rep.writeJSONFile(cfg.JSONPath, stdout); err != nil {
			return err
		}
	}
	if n := rep.TotalErrors(); n > 0 {
		return fmt.Errorf("bench: %d operations failed", n)
	}
	return ctx.Err()
}

// runS3 runs a parsed configuration and returns its report.
func runS3(ctx context.Context, cfg *S3Config, stderr io.Writer) (*Report, error) {
	var lim *Limits
	if cfg.Limits {
		if !cfg.Quiet {
			fmt.Fprintf(stderr, "measuring machine limits (disk of %s) ...\n", cfg.DataDir)
		}
		var err error
		if lim, err = MeasureLimits(ctx, DefaultLimitOptions(cfg.DataDir)); err != nil {
			return nil, fmt.Errorf("bench: measure limits: %w", err)
		}
	}

	r := newRunner(cfg, stderr)
	if err := ensureBucket(ctx, r.client, cfg.Bucket, cfg.Region); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg.Prefix = r.prefix
	if needsReadSet(cfg.Op) {
		if err := r.populate(ctx); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	if !cfg.Quiet {
		fmt.Fprintf(stderr, "running %s %s x%d ...\n", cfg.Op, FormatSize(cfg.Size), cfg.Concurrency)
	}
	stats, elapsed := r.timed(ctx)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "interrupted: objects under %s/%s are left in place\n", cfg.Bucket, r.prefix)
	case cfg.Cleanup:
		deleted, failed := r.cleanup(ctx)
		if !cfg.Quiet || failed > 0 {
			fmt.Fprintf(stderr, "cleanup: deleted %d objects, %d deletes failed\n", deleted, failed)
		}
	}
	return newReport(cfg, &stats, elapsed, lim), nil
}
