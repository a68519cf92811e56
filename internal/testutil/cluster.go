package testutil

import (
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Cluster is a cluster of anode processes on loopback. Each node listens
// for cluster traffic on its own loopback address (127.x.y.i:9090), chosen
// at random per cluster so that clusters of concurrent tests never meet;
// the S3 and admin ports are chosen by the kernel.
type Cluster struct {
	bin     string
	Members []string // cluster addresses; Members[i] is node i+1
	Nodes   []*Process
	Dirs    []string
	extra   []string
	initial int // how many nodes bootstrapped the cluster
	// Secret is the cluster secret the nodes were given ("" when the
	// caller's flags set the peer credentials).
	Secret string
}

// NewSecret returns a random cluster secret.
func NewSecret() string {
	b := make([]byte, 32)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// StartCluster starts n nodes that form a new cluster, and waits until
// every node is ready. extra flags go to every node. Unless extra sets
// cluster.secret or cluster certificates itself, every node gets a new
// random cluster secret (Secret): the nodes authenticate each other with
// mutual TLS, as a real cluster must.
func StartCluster(t testing.TB, n int, extra ...string) *Cluster {
	t.Helper()
	c := &Cluster{bin: BuildAnode(t), initial: n}
	if !strings.Contains(strings.Join(extra, " "), "cluster.secret") && !strings.Contains(strings.Join(extra, " "), "cluster.tls_cert_file") {
		c.Secret = NewSecret()
		extra = append([]string{"--set", "cluster.secret=" + c.Secret}, extra...)
	}
	c.extra = extra
	a, b := 1+rand.IntN(250), 1+rand.IntN(250)
	base := t.TempDir()
	for i := 0; i < n; i++ {
		c.Members = append(c.Members, fmt.Sprintf("127.%d.%d.%d:9090", a, b, i+1))
		c.Dirs = append(c.Dirs, filepath.Join(base, fmt.Sprintf("node%d", i+1)))
	}
	c.Nodes = make([]*Process, n)
	var wg sync.WaitGroup
	for i := range c.Nodes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c.Nodes[i] = LaunchProcess(t, c.bin, c.Dirs[i], c.args(i)...)
		}(i)
	}
	wg.Wait()
	for _, p := range c.Nodes {
		if p == nil {
			t.FailNow()
		}
		p.WaitReady(t)
	}
	return c
}

func (c *Cluster) args(i int) []string {
	if i >= c.initial {
		// A node that joined: it finds its ID in its data directory.
		return append([]string{"--node-name", fmt.Sprintf("anode-%d", i+1),
			"--grpc-addr", c.Members[i], "--join", c.Members[0]}, c.extra...)
	}
	return append([]string{
		"--node-id", fmt.Sprint(i + 1), "--node-name", fmt.Sprintf("anode-%d", i+1),
		"--grpc-addr", c.Members[i], "--initial-members", strings.Join(c.Members[:c.initial], ","),
	}, c.extra...)
}

// Join starts one more node that joins the running cluster through node 1,
// and waits until it is ready. It returns the node's index.
func (c *Cluster) Join(t testing.TB) int {
	t.Helper()
	i := len(c.Nodes)
	host := c.Members[0][:strings.LastIndex(c.Members[0], ".")]
	c.Members = append(c.Members, fmt.Sprintf("%s.%d:9090", host, i+1))
	c.Dirs = append(c.Dirs, filepath.Join(filepath.Dir(c.Dirs[0]), fmt.Sprintf("node%d", i+1)))
	c.Nodes = append(c.Nodes, StartProcess(t, c.bin, c.Dirs[i], c.args(i)...))
	return i
}

// Restart starts node i (0-based) again on its data directory, after it
// was killed or stopped, and waits until it is ready.
func (c *Cluster) Restart(t testing.TB, i int) *Process {
	t.Helper()
	c.Nodes[i] = StartProcess(t, c.bin, c.Dirs[i], c.args(i)...)
	return c.Nodes[i]
}

// Args returns the flags node i (0-based) is started with, as Restart
// starts it.
func (c *Cluster) Args(i int) []string { return c.args(i) }

// Bin returns the path of the anode binary.
func (c *Cluster) Bin() string { return c.bin }
