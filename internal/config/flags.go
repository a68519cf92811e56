package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// flagSpec is a flag of `anode server` that sets one key.
type flagSpec struct {
	name  string // without dashes
	key   string // the key it sets
	arg   string // placeholder in the usage; "" for a boolean flag
	usage string
}

// flagSpecs are the flags for the keys people set most often; --set
// reaches every other key.
var flagSpecs = []flagSpec{
	{"node-id", "node.id", "ID", "Raft ID of this node, unique in the cluster, not 0"},
	{"node-name", "node.name", "NAME", "name of this node, unique in the cluster"},
	{"s3-addr", "node.s3_addr", "ADDR", "S3 API listen address"},
	{"grpc-addr", "node.grpc_addr", "ADDR", "cluster transport listen address"},
	{"cluster-addr", "node.grpc_addr", "ADDR", "same as --grpc-addr"},
	{"admin-addr", "node.admin_addr", "ADDR", "admin, health and metrics listen address"},
	{"data-dir", "storage.data_dir", "DIR", "directory of this node's data"},
	{"initial-members", "cluster.initial_members", "A,B,C", "cluster addresses of the nodes that bootstrap a new cluster"},
	{"join", "cluster.join", "ADDR", "cluster address of a running node to join"},
	{"join-token", "cluster.join_token", "TOKEN", "join token from 'anode admin join-token' (when this node has no cluster secret)"},
	{"replication-factor", "cluster.replication_factor", "N", "replicas of each placement group and chunk"},
	{"placement-groups", "cluster.placement_groups", "N", "number of metadata Raft groups"},
	{"chunk-size", "storage.chunk_size", "SIZE", "size objects are cut into, such as 4MiB"},
	{"log-level", "logging.level", "LEVEL", "debug, info, warn or error"},
	{"log-json", "logging.json_format", "", "log JSON lines instead of text"},
}

// cmdline is what the flags asked for, in command-line order.
type cmdline struct {
	configPath string
	sets       []flagSet
}

type flagSet struct{ flag, key, value string }

// add records that flag sets key to value, after checking that value parses
// so that the flag package reports a bad value against its flag.
func (cl *cmdline) add(flag, key, value string) error {
	if err := Default().set(key, value); err != nil {
		return err
	}
	cl.sets = append(cl.sets, flagSet{flag, key, value})
	return nil
}

// parseFlags parses the arguments of `anode server`. Only flags that are
// given are recorded, so that defaults of the flag package never override
// the file or the environment. The flag package accepts -x and --x alike.
func parseFlags(args []string) (*cmdline, error) {
	cl := &cmdline{}
	fs := flag.NewFlagSet("anode server", flag.ContinueOnError)
	// Errors are returned, not printed; the usage is printed only on -h.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}

	fs.StringVar(&cl.configPath, "config", "", "")
	for _, f := range flagSpecs {
		set := func(v string) error { return cl.add(f.name, f.key, v) }
		if f.arg == "" {
			fs.BoolFunc(f.name, f.usage, set)
		} else {
			fs.Func(f.name, f.usage, set)
		}
	}
	fs.Func("set", "", func(v string) error {
		key, value, ok := strings.Cut(v, "=")
		if !ok {
			return errors.New("want section.key=value")
		}
		return cl.add("set", strings.TrimSpace(key), value)
	})

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			Usage(os.Stderr)
			return nil, err
		}
		return nil, fmt.Errorf("anode server: %w (see anode server -h)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("anode server: unexpected argument %q (see anode server -h)", fs.Arg(0))
	}
	return cl, nil
}

// Usage writes the usage of `anode server` to w.
func Usage(w io.Writer) {
	fmt.Fprint(w, `Usage: anode server [flags]

Runs an Anode node. With no configuration it runs a one-node cluster with
S3 on :8080, the cluster transport on :9090, admin on :8081 and data in ./data.
Precedence: flags > environment (ANODE_*) > config file > defaults.

Flags (-x and --x are the same):
  --config PATH             TOML config file (default $ANODE_CONFIG)
`)
	for _, f := range flagSpecs {
		left := "--" + f.name
		if f.arg != "" {
			left += " " + f.arg
		}
		fmt.Fprintf(w, "  %-25s %s (%s)\n", left, f.usage, f.key)
	}
	fmt.Fprint(w, `  --set SECTION.KEY=VALUE   set any key; repeatable
  -h, --help                print this help

Every key can also be set with the environment variable ANODE_SECTION_KEY,
for example ANODE_STORAGE_DATA_DIR=/data; lists are comma-separated.
Root credentials: ANODE_ROOT_USER and ANODE_ROOT_PASSWORD.
See docs/configuration.md for every key.
`)
}
