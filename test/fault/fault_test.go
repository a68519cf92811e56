// Package fault runs concurrent clients against a three-node Anode cluster
// while it kills, pauses and partitions nodes, records every operation
// with its outcome, and checks the history for linearizability with
// porcupine, plus that every acknowledged write is readable at the end
// and that the minority side of a partition acknowledges no write.
//
// See docs/fault-testing.md for how to run it and what it checks.
package fault

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/anode/anode/internal/testutil"
)

const (
	bucket = "fault"
	// opTimeout bounds every client operation: long enough for an
	// election (1 s) and a retry inside the server, short enough that a
	// client stuck on a paused node comes back during the pause.
	opTimeout = 3 * time.Second
)

// settings is the size of a run, from the environment.
type settings struct {
	duration     time.Duration // of the load and the faults
	clients      int
	keys         int
	checkTimeout time.Duration // for porcupine
}

func loadSettings(t *testing.T) settings {
	t.Helper()
	s := settings{duration: 30 * time.Second, clients: 5, keys: 5, checkTimeout: 3 * time.Minute}
	durations := map[string]*time.Duration{"FAULT_DURATION": &s.duration, "FAULT_CHECK_TIMEOUT": &s.checkTimeout}
	for name, p := range durations {
		if v := os.Getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				t.Fatalf("%s=%q: want a positive duration such as 30s or 5m", name, v)
			}
			*p = d
		}
	}
	for name, p := range map[string]*int{"FAULT_CLIENTS": &s.clients, "FAULT_KEYS": &s.keys} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				t.Fatalf("%s=%q: want a positive number", name, v)
			}
			*p = n
		}
	}
	return s
}

// clock gives operation times in nanoseconds since the start of the run.
type clock struct{ start time.Time }

func (c clock) now() int64 { return int64(time.Since(c.start)) }

// nodeClients holds one S3 client per node; a restarted node serves on a
// new port, so the clients are replaced.
type nodeClients struct {
	mu      sync.Mutex
	clients []*s3.Client
}

func (n *nodeClients) get(i int) *s3.Client {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.clients[i]
}

func (n *nodeClients) set(i int, endpoint string) {
	n.mu.Lock()
	n.clients[i] = testutil.S3Client(endpoint)
	n.mu.Unlock()
}

// fault is one fault the nemesis injected, over [start, end] on the run's
// clock.
type fault struct {
	kind       string // "kill", "pause" or "partition"
	node       int    // 0-based
	start, end int64
}

// TestFaults is the fault suite: see the package comment.
func TestFaults(t *testing.T) {
	cfg := loadSettings(t)
	cgroupRoot := checkNetAdmin(t)

	// Sixteen placement groups are plenty for a handful of keys and keep
	// three nodes' raft ticking light on a two-core machine.
	cl := testutil.StartCluster(t, 3, "--placement-groups", "16")
	nodes := &nodeClients{}
	for _, p := range cl.Nodes {
		nodes.clients = append(nodes.clients, testutil.S3Client(p.Endpoint))
	}
	createBucket(t, nodes.get(0))
	keys := make([]string, cfg.keys)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}

	clk := clock{start: time.Now()}
	var history History
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopClients := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopClients) // before the cluster's cleanup, which kills the nodes
	seed := rand.Uint64()
	for c := 0; c < cfg.clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runClient(c, c%len(cl.Nodes), seed, keys, nodes, &history, clk, stop)
		}()
	}

	faults := runNemesis(t, cl, cgroupRoot, nodes, clk, time.Now().Add(cfg.duration))
	stopClients()

	for i, p := range cl.Nodes {
		if err := testutil.WaitReady(p.AdminURL, time.Minute); err != nil {
			t.Fatalf("node %d after healing: %v", i+1, err)
		}
	}
	final := finalReads(t, cfg.clients, keys, nodes, &history, clk)
	ops := history.Ops()

	ok := reportAll(t, "the minority side acknowledged a write", minorityAcks(ops, faults))
	ok = reportAll(t, "an error where only success or unavailability is right", clientErrors(ops)) && ok
	ok = reportAll(t, "acknowledged write lost", lostWrites(ops, final)) && ok
	ok = reportAll(t, "too little progress on the majority side", stalls(ops, faults)) && ok
	// Plain stale reads are violations whatever porcupine concludes (it
	// may run out of time on a broken history: they still fail the test).
	ok = reportAll(t, "stale read", staleReads(ops)) && ok
	hist := porcupineHistory(ops)
	checkStart := time.Now()
	result, info := porcupine.CheckOperationsVerbose(registerModel, hist, cfg.checkTimeout)
	checkTime := time.Since(checkStart)
	switch result {
	case porcupine.Illegal:
		t.Errorf("the history is not linearizable")
	case porcupine.Unknown:
		t.Errorf("porcupine did not finish checking %d operations within %v (FAULT_CHECK_TIMEOUT): the history is unchecked", len(hist), cfg.checkTimeout)
	}
	if result != porcupine.Ok || !ok {
		visualize(t, info, faults)
	}

	s := summarize(ops, faults)
	t.Logf("fault suite: %d operations (%d ok, %d refused conditional writes, %d unknown, %d failed reads), %d faults (%d kills, %d pauses, %d partitions), "+
		"%d final reads, minority side: %d writes refused, %d reads served, %d operations checked by porcupine in %.1fs, linearizable: %s",
		s.ops, s.ok, s.refused, s.unknown, s.failedReads, len(faults), s.faults["kill"], s.faults["pause"], s.faults["partition"],
		len(keys)*len(cl.Nodes), s.minorityRefused, s.minorityReads, len(hist), checkTime.Seconds(), verdict(result))
	if len(s.errors) > 0 {
		t.Logf("errors of unknown operations: %s", strings.Join(s.errors, ", "))
	}
}

// reportAll fails the test with the first few problems found, and reports
// whether there were none.
func reportAll[T any](t *testing.T, what string, problems []T) bool {
	t.Helper()
	for i, p := range problems {
		if i == 10 {
			t.Errorf("... and %d more: %s", len(problems)-i, what)
			break
		}
		t.Errorf("%s: %v", what, p)
	}
	return len(problems) == 0
}

func verdict(r porcupine.CheckResult) string {
	switch r {
	case porcupine.Ok:
		return "yes"
	case porcupine.Illegal:
		return "NO"
	}
	return "unknown (check timed out)"
}

func createBucket(t *testing.T, c *s3.Client) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("create bucket: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runClient sends operations to one node until stop is closed, one at a
// time, each under opTimeout: of a random key, a PUT (40%), a GET (35%) or
// a DELETE (15%), or a LIST of the bucket (10%). A third of the PUTs and
// half of the DELETEs are conditional on the value the client last read
// of the key (the CAS register): If-Match with that value's ETag, or for
// a PUT If-None-Match * when it last read the key absent.
func runClient(id, node int, seed uint64, keys []string, nodes *nodeClients, h *History, clk clock, stop <-chan struct{}) {
	r := rand.New(rand.NewPCG(seed, uint64(id)))
	last := map[string]string{} // key -> value this client last read
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		op := Op{Client: id, Node: node, Key: keys[r.IntN(len(keys))]}
		switch x := r.IntN(20); {
		case x < 8:
			op.Put = true
			op.Value = fmt.Sprintf("w-%d-%d", id, n)
			op.Big = r.IntN(8) == 0
			if r.IntN(3) == 0 {
				op.Cond, op.Expect = true, last[op.Key]
			}
			bigValues.Store(op.Value, op.Big)
		case x < 15:
		case x < 18:
			op.Put, op.Delete = true, true
			if v := last[op.Key]; v != "" && r.IntN(2) == 0 {
				op.Cond, op.Expect = true, v
			}
		default:
			op.List, op.Key = true, ""
		}
		err := do(nodes.get(node), &op, clk)
		h.Add(op)
		if err == nil && !op.Put && !op.List {
			last[op.Key] = op.Value
		}
		if err != nil && op.Outcome != Refused {
			// Back off a little, so that a client of a dead node does not
			// fill the history with refused connections.
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// do runs op against c, and fills in its times, result and outcome.
func do(c *s3.Client, op *Op, clk clock) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	op.Call = clk.now()
	var err error
	var ifMatch, ifNoneMatch *string
	if op.Cond && op.Expect == "" {
		ifNoneMatch = aws.String("*")
	} else if op.Cond {
		ifMatch = aws.String(etagOf(op.Expect))
	}
	switch {
	case op.Delete:
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(op.Key), IfMatch: ifMatch})
	case op.Put:
		_, err = c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(op.Key), Body: strings.NewReader(objectBody(op.Value, op.Big)),
			IfMatch: ifMatch, IfNoneMatch: ifNoneMatch})
	case op.List:
		op.Listed, err = list(ctx, c)
	default:
		op.Value, err = get(ctx, c, op.Key)
	}
	op.Return = clk.now()
	if err != nil {
		op.Outcome, op.Err = Unknown, errorClass(err)
		if op.Cond && (op.Err == "412 PreconditionFailed" || op.Err == "404 NoSuchKey") {
			op.Outcome = Refused
		}
	}
	return err
}

// bigValues records, for every value written, whether its object is big:
// the ETag a conditional write names depends on the body.
var bigValues sync.Map

// etagOf returns the quoted ETag of the object holding value.
func etagOf(value string) string {
	big, _ := bigValues.Load(value)
	b, _ := big.(bool)
	sum := md5.Sum([]byte(objectBody(value, b)))
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// get reads a key; a missing key is "" and no error.
func get(ctx context.Context, c *s3.Client, key string) (string, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var missing *types.NoSuchKey
	if errors.As(err, &missing) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return "", err
	}
	value, _, _ := strings.Cut(string(b), "\n")
	if value == "" || (string(b) != objectBody(value, false) && string(b) != objectBody(value, true)) {
		return "", fmt.Errorf("%w: %d bytes starting %.40q", errCorrupt, len(b), b)
	}
	return value, nil
}

// list returns the keys of the bucket (one page: the suite uses a handful).
func list(ctx context.Context, c *s3.Client) (map[string]bool, error) {
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		return nil, err
	}
	if aws.ToBool(out.IsTruncated) {
		return nil, fmt.Errorf("%w: the listing is truncated", errCorrupt)
	}
	keys := map[string]bool{}
	for _, o := range out.Contents {
		keys[aws.ToString(o.Key)] = true
	}
	return keys, nil
}

// bigSize is the size of a big object: above the default inline threshold
// (64 KiB), so that its data goes to chunks written to the replicas rather
// than into the raft log with its metadata.
const bigSize = 100 << 10

// objectBody is what the suite stores for a value: the value itself, or
// for a big object the value, a newline and filler made of the value, so
// that a read can tell a whole object from a damaged one.
func objectBody(value string, big bool) string {
	if !big {
		return value
	}
	b := strings.Repeat(value+"\n", bigSize/(len(value)+1)+1)
	return b[:bigSize]
}

// errCorrupt marks a read whose body is not one the suite wrote.
var errCorrupt = errors.New("corrupt object")

// errorClass names an error briefly, for the summary: the S3 error code
// and status, or what went wrong on the way.
func errorClass(err error) string {
	var api smithy.APIError
	var status interface{ HTTPStatusCode() int }
	switch {
	case errors.As(err, &api) && errors.As(err, &status):
		return fmt.Sprintf("%d %s", status.HTTPStatusCode(), api.ErrorCode())
	case errors.Is(err, errCorrupt):
		return "corrupt"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "connection reset"):
		return "connection reset"
	case strings.Contains(err.Error(), "EOF"):
		return "EOF"
	}
	return err.Error()
}

// runNemesis injects faults one at a time until the deadline, with a
// second of calm before each, and returns them once all are healed. The
// k-th fault is of kind k%3 on node (k+k/3)%3, so nine faults put every
// kind on every node.
func runNemesis(t *testing.T, cl *testutil.Cluster, cgroupRoot string, nodes *nodeClients, clk clock, deadline time.Time) []fault {
	t.Helper()
	var faults []fault
	for k := 0; time.Now().Before(deadline); k++ {
		time.Sleep(time.Second) // calm: let the cluster settle and clients succeed
		f := fault{kind: []string{"kill", "pause", "partition"}[k%3], node: (k + k/3) % 3}
		f.start = clk.now()
		switch f.kind {
		case "kill":
			cl.Nodes[f.node].Kill()
			time.Sleep(3 * time.Second) // the fault's length
			p := cl.Restart(t, f.node)
			nodes.set(f.node, p.Endpoint)
		case "pause":
			cl.Nodes[f.node].Pause()
			time.Sleep(3 * time.Second)
			cl.Nodes[f.node].Resume()
		case "partition":
			p, err := isolate(cgroupRoot, cl.Members, f.node, cl.Dirs[f.node])
			if err != nil {
				t.Fatalf("partition node %d: %v", f.node+1, err)
			}
			healed := false
			t.Cleanup(func() {
				if !healed {
					if err := p.heal(cgroupRoot); err != nil {
						t.Errorf("heal partition of node %d: %v", f.node+1, err)
					}
				}
			})
			f.start = clk.now()         // the window starts once every rule is in
			time.Sleep(6 * time.Second) // two operation timeouts
			f.end = clk.now()           // and ends before any rule goes
			dropped, err := p.dropped()
			if err != nil {
				t.Fatalf("partition of node %d: %v", f.node+1, err)
			}
			t.Logf("partition of node %d: its rules dropped %d packets to it and %d from it",
				f.node+1, dropped["INPUT"], dropped["OUTPUT"])
			if dropped["INPUT"] == 0 || dropped["OUTPUT"] == 0 {
				t.Errorf("the partition of node %d did not cut both ways: its rules dropped %d packets to it and %d from it",
					f.node+1, dropped["INPUT"], dropped["OUTPUT"])
			}
			healed = true
			if err := p.heal(cgroupRoot); err != nil {
				t.Fatalf("heal partition of node %d: %v", f.node+1, err)
			}
		}
		if f.end == 0 {
			f.end = clk.now()
		}
		faults = append(faults, f)
	}
	time.Sleep(2 * time.Second) // calm: clients succeed again after the last fault
	return faults
}

// finalReads reads every key through every node, once the cluster healed
// and no client writes, retrying failures. Each read goes into the
// history; it returns the value each key holds.
func finalReads(t *testing.T, clients int, keys []string, nodes *nodeClients, h *History, clk clock) map[string]string {
	t.Helper()
	final := map[string]string{}
	for _, key := range keys {
		for i := range nodes.clients {
			deadline := time.Now().Add(30 * time.Second)
			for {
				op := Op{Client: clients + i, Node: i, Key: key}
				err := do(nodes.get(i), &op, clk)
				if err == nil {
					h.Add(op)
					if v, ok := final[key]; ok && v != op.Value {
						t.Errorf("after healing, %s reads %s through node %d but %s through node 1",
							key, valueString(op.Value), i+1, valueString(v))
					}
					final[key] = op.Value
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after healing, %s is still unreadable through node %d: %v", key, i+1, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	return final
}

// minorityAcks returns the PUTs that a node acknowledged while it was
// isolated: called after its partition began and answered with success
// before it ended, they cannot have reached a quorum.
func minorityAcks(ops []Op, faults []fault) []Op {
	var bad []Op
	for _, o := range ops {
		if f, ok := isolatedAt(o, faults); ok && o.Put && o.Outcome == OK && o.Return <= f.end {
			bad = append(bad, o)
		}
	}
	return bad
}

// minProgress is how many writes the nodes outside a fault must
// acknowledge while it lasts (kills and pauses last 3 s, partitions 6 s;
// a healthy run acknowledges 100 to 600 in that time on two cores).
const minProgress = 10

// stalls checks that the cluster stays available during every fault: a
// single fault in a three-node cluster leaves a quorum, so the clients of
// the other nodes must see at least minProgress writes acknowledged that
// were called after the fault began and answered before it ended, and,
// across the run, at least one big (chunked) write acknowledged during a
// fault.
func stalls(ops []Op, faults []fault) []string {
	var problems []string
	bigDuringFaults := 0
	for _, f := range faults {
		n := 0
		for _, o := range ops {
			if o.Put && o.Outcome == OK && o.Node != f.node && o.Call >= f.start && o.Return <= f.end {
				n++
				if o.Big {
					bigDuringFaults++
				}
			}
		}
		if n < minProgress {
			problems = append(problems, fmt.Sprintf("%s of node %d [%.1fs, %.1fs]: %d writes acknowledged by the other nodes, want at least %d",
				f.kind, f.node+1, float64(f.start)/1e9, float64(f.end)/1e9, n, minProgress))
		}
	}
	if len(faults) > 0 && bigDuringFaults == 0 {
		problems = append(problems, "no big (chunked) write was acknowledged during any fault")
	}
	return problems
}

// clientErrors returns the operations that failed with a 4xx status or
// read a damaged object. The bucket exists and the requests are well
// formed, so no 4xx is right under any fault: a NoSuchBucket, say, would be
// a stale read of the bucket. (A missing key is no error to the suite: a
// GET reads it as absent.)
func clientErrors(ops []Op) []Op {
	var bad []Op
	for _, o := range ops {
		if o.Outcome == Unknown && (strings.HasPrefix(o.Err, "4") || o.Err == "corrupt") {
			bad = append(bad, o)
		}
	}
	return bad
}

// isolatedAt returns the partition that isolated o's node when o was
// called, if any.
func isolatedAt(o Op, faults []fault) (fault, bool) {
	for _, f := range faults {
		if f.kind == "partition" && f.node == o.Node && o.Call >= f.start && o.Call <= f.end {
			return f, true
		}
	}
	return fault{}, false
}

type summary struct {
	ops, ok, unknown, failedReads  int
	refused                        int // conditional writes whose condition failed
	faults                         map[string]int
	minorityRefused, minorityReads int
	errors                         []string // "class ×count", most frequent first
}

func summarize(ops []Op, faults []fault) summary {
	s := summary{ops: len(ops), faults: map[string]int{}}
	for _, f := range faults {
		s.faults[f.kind]++
	}
	classes := map[string]int{}
	for _, o := range ops {
		switch {
		case o.Outcome == OK:
			s.ok++
		case o.Outcome == Refused:
			s.refused++
		case o.Put:
			s.unknown++
		default:
			s.failedReads++
		}
		if o.Outcome == Unknown {
			classes[o.Err]++
		}
		if f, ok := isolatedAt(o, faults); ok {
			if o.Put && (o.Outcome == Unknown || o.Return > f.end) {
				s.minorityRefused++
			}
			if !o.Put && o.Outcome == OK && o.Return <= f.end {
				s.minorityReads++
			}
		}
	}
	names := make([]string, 0, len(classes))
	for c := range classes {
		names = append(names, c)
	}
	sort.Slice(names, func(i, j int) bool { return classes[names[i]] > classes[names[j]] })
	for _, c := range names {
		s.errors = append(s.errors, fmt.Sprintf("%s ×%d", c, classes[c]))
	}
	return s
}

// visualize writes porcupine's interactive view of the history, with the
// faults marked, to a file that outlives the test, and logs its path.
func visualize(t *testing.T, info porcupine.LinearizationInfo, faults []fault) {
	t.Helper()
	var notes []porcupine.Annotation
	for _, f := range faults {
		notes = append(notes, porcupine.Annotation{
			Tag: "nemesis", Start: f.start, End: f.end,
			Description:     fmt.Sprintf("%s node %d", f.kind, f.node+1),
			BackgroundColor: map[string]string{"kill": "#f4a6a6", "pause": "#f7d08a", "partition": "#a6c8f4"}[f.kind],
		})
	}
	info.AddAnnotations(notes)
	f, err := os.CreateTemp("", "anode-fault-*.html")
	if err != nil {
		t.Errorf("visualization: %v", err)
		return
	}
	f.Close()
	if err := porcupine.VisualizePath(registerModel, info, f.Name()); err != nil {
		t.Errorf("visualization: %v", err)
		return
	}
	t.Logf("porcupine visualization of the history: %s", f.Name())
}
