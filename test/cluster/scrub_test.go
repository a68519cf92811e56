package cluster

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anode/anode/internal/testutil"
)

// TestScrubberRepairsUnreadCopy damages one node's copy of a chunk that
// nobody reads: the node's scrubber finds it within a pass and fetches a
// good copy from another replica.
//
// Shown to fail with the protection removed: with Scrubber.repair returning
// before it fetches (or with storage.scrub_rate = 0), node 2's copy stays
// quarantined and the wait for a good copy times out.
func TestScrubberRepairsUnreadCopy(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "scrub.toml")
	if err := os.WriteFile(conf, []byte("[storage]\nscrub_rate = \"64MiB\"\nscrub_pause_secs = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cl := testutil.StartCluster(t, 3, "--config", conf)
	c := testutil.S3Client(cl.Nodes[0].Endpoint)
	createBucket(t, c, "scrub")
	data := randomBytes(9, 1<<20)
	put(t, c, "scrub", "unread", data)
	path := chunkFile(cl.Dirs[1], data)
	eventually(t, 30*time.Second, "node 2 holds the chunk", func() error { _, err := os.Stat(path); return err })
	before := testutil.Metric(t, cl.Nodes[1].AdminURL, "anode_scrub_repairs_total")
	damage(t, path, 1000)

	eventually(t, 60*time.Second, "node 2's scrubber repairs its copy", func() error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if len(b) < len(data) || !bytes.Equal(b[:len(data)], data) {
			return fmt.Errorf("copy still damaged")
		}
		return nil
	})
	if got := testutil.Metric(t, cl.Nodes[1].AdminURL, "anode_scrub_repairs_total"); got <= before {
		t.Fatalf("anode_scrub_repairs_total = %v, not above %v: the copy was not repaired by the scrubber", got, before)
	}
}
