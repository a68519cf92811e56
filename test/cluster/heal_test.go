package cluster

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/server"
	"github.com/anode/anode/internal/testutil"
)

// chunkFiles returns, for every chunk file in the data directories, the
// indexes of the directories that hold one (quarantined copies excluded).
func chunkFiles(dirs []string) (map[[32]byte][]int, error) {
	out := map[[32]byte][]int{}
	for i, d := range dirs {
		root := filepath.Join(d, "chunks")
		err := filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if de.IsDir() && de.Name() == "quarantine" {
				return filepath.SkipDir
			}
			if de.IsDir() || len(de.Name()) != 64 {
				return nil
			}
			var h [32]byte
			if _, err := hex.Decode(h[:], []byte(de.Name())); err != nil {
				return nil // a temporary file
			}
			out[h] = append(out[h], i)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// copiesOnTargets checks that every chunk is held by exactly its rf
// targets among the nodes ids (ids[i] has data directory dirs[i]): every
// target holds a copy and no other node does. With nodes down (their
// directories are not looked at), only the first half is checked: an extra
// copy stays while a target cannot confirm its own.
func copiesOnTargets(dirs []string, ids []uint64, rf int, down map[int]bool) error {
	files, err := chunkFiles(dirs)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no chunk files at all")
	}
	for h, holders := range files {
		held := map[int]bool{}
		for _, i := range holders {
			held[i] = true
		}
		targets := map[uint64]bool{}
		for _, id := range cluster.Replicas(cluster.ChunkKey(h), ids, rf) {
			targets[id] = true
		}
		for i := range dirs {
			if down[i] {
				continue
			}
			switch {
			case targets[ids[i]] && !held[i]:
				return fmt.Errorf("chunk %x: target node %d lacks it (held by %v)", h[:6], ids[i], holders)
			case !targets[ids[i]] && held[i] && len(down) == 0:
				return fmt.Errorf("chunk %x: node %d holds an extra copy (held by %v)", h[:6], ids[i], holders)
			}
		}
	}
	return nil
}

// TestGrowThenFail grows a 3-node cluster (every node holds every chunk) to
// 5 and kills an original node right after the joins, before repair has
// moved the chunks to the new nodes: every object still reads (copies are
// found off their targets), the live targets fetch their copies, and once
// the killed node is back every chunk has exactly three copies, on its
// targets, the extra copies on the old nodes removed.
//
// Shown to fail with the protection removed: with removeExtra
// (internal/replica/repair.go) disabled, the last check finds extra copies
// on the original nodes; with Repairer.Run disabled, "live targets hold
// every chunk" times out.
func TestGrowThenFail(t *testing.T) {
	cl := testutil.StartCluster(t, 3, "--placement-groups", "16", "--replication-factor", "3",
		"--set", "storage.repair_pause_secs=1")
	c1 := testutil.S3Client(cl.Nodes[0].Endpoint)
	createBucket(t, c1, "grow")
	objects := map[string][]byte{}
	for i := 0; i < 10; i++ {
		key := fmt.Sprintf("o%d", i)
		objects[key] = randomBytes(uint64(300+i), 200<<10+i*(300<<10))
		put(t, c1, "grow", key, objects[key])
	}
	cl.Join(t)
	cl.Join(t)
	cl.Nodes[2].Kill() // node 3: it held a copy of every chunk
	ids := []uint64{1, 2, 3, 4, 5}
	for _, i := range []int{0, 1, 3, 4} {
		c := testutil.S3Client(cl.Nodes[i].Endpoint)
		for key, data := range objects {
			eventually(t, 30*time.Second, fmt.Sprintf("node %d get %s", i+1, key), func() error {
				got, err := get(c, "grow", key)
				if err == nil && string(got) != string(data) {
					t.Fatalf("node %d: %s differs", i+1, key)
				}
				return err
			})
		}
	}
	eventually(t, 120*time.Second, "live targets hold every chunk", func() error {
		return copiesOnTargets(cl.Dirs, ids, 3, map[int]bool{2: true})
	})
	// The new nodes fetched their chunks through repair passes, and say so.
	for _, i := range []int{3, 4} {
		if n := metric(t, cl.Nodes[i], "anode_chunk_repairs_total"); n == 0 {
			t.Fatalf("node %d holds its chunks but counts no repairs", i+1)
		}
		eventually(t, 30*time.Second, "repair status settles", func() error {
			rp := storageStatus(t, cl.Nodes[i]).Repair
			if rp.Passes == 0 || rp.UnderReplicated != 0 || rp.ReferencedChunks == 0 {
				return fmt.Errorf("node %d repair status %+v", i+1, rp)
			}
			return nil
		})
	}
	// `anode admin status` shows it.
	cmd := exec.Command(cl.Bin(), "admin", "status", "--addr", cl.Nodes[3].AdminURL)
	cmd.Env = append(os.Environ(), "ANODE_ROOT_USER="+testutil.AccessKey, "ANODE_ROOT_PASSWORD="+testutil.SecretKey)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "under-replicated here: 0 (0 bytes)") || !strings.Contains(string(out), "\ngc: ") {
		t.Fatalf("anode admin status: %v\n%s", err, out)
	}
	cl.Restart(t, 2)
	eventually(t, 120*time.Second, "exactly three copies of every chunk, on its targets", func() error {
		return copiesOnTargets(cl.Dirs, ids, 3, nil)
	})
	c := testutil.S3Client(cl.Nodes[2].Endpoint)
	for key, data := range objects {
		mustGet(t, c, "grow", key, data)
	}
}

// TestRemoveNodeDrains: remove-node refuses while the node it removes holds
// the last copy of a chunk and cannot give it, and, once the node is back,
// copies that chunk to the targets without the node before removing it:
// after the removed node is stopped for good, the object still reads.
//
// The last copy is made by deleting the chunk's other two files (repair is
// off: storage.repair_rate=0, so nothing fetches them back).
//
// Shown to fail with the protection removed: with remove-node called with
// force=true (no drain), the first removal succeeds (the test fails at
// "refused"), and without it the final read fails: no live node has the
// chunk.
func TestRemoveNodeDrains(t *testing.T) {
	cl := testutil.StartCluster(t, 4, "--placement-groups", "8", "--replication-factor", "3",
		"--set", "storage.repair_rate=0")
	c1 := testutil.S3Client(cl.Nodes[0].Endpoint)
	createBucket(t, c1, "drain")
	data := randomBytes(77, 1<<20)
	put(t, c1, "drain", "obj", data)
	ids := []uint64{1, 2, 3, 4}
	var h [32]byte
	var holders []int
	eventually(t, 30*time.Second, "three copies of the chunk", func() error {
		files, err := chunkFiles(cl.Dirs)
		if err != nil {
			return err
		}
		for hh, hs := range files {
			if len(hs) == 3 {
				h, holders = hh, hs
				return nil
			}
		}
		return fmt.Errorf("no chunk with three copies yet")
	})
	last := holders[0] // the node that will hold the last copy
	for _, i := range holders[1:] {
		name := hex.EncodeToString(h[:])
		if err := os.Remove(filepath.Join(cl.Dirs[i], "chunks", name[0:2], name[2:4], name)); err != nil {
			t.Fatal(err)
		}
	}
	via := (last + 1) % 4 // a node that stays
	cl.Nodes[last].Kill()
	path := fmt.Sprintf("/cluster/remove-node?id=%d", ids[last])
	eventually(t, 60*time.Second, "remove-node refused", func() error {
		code, body, err := testutil.AdminDo(cl.Nodes[via].AdminURL, http.MethodPost, path)
		if err != nil {
			return err
		}
		if code == http.StatusOK {
			t.Fatalf("remove-node of node %d succeeded while it was down holding the last copy of a chunk: %s", ids[last], body)
		}
		if code != http.StatusConflict {
			return fmt.Errorf("%d: %s", code, body)
		}
		return nil
	})
	if got := status(t, cl.Nodes[via]).Nodes; len(got) != 4 {
		t.Fatalf("members after a refused remove-node: %+v", got)
	}
	cl.Restart(t, last)
	removeNode(t, cl.Nodes[via], int(ids[last]))
	cl.Nodes[last].Stop(t)
	var live []*testutil.Process
	for i, p := range cl.Nodes {
		if i != last {
			live = append(live, p)
		}
	}
	settled(t, live, 3)
	c := testutil.S3Client(cl.Nodes[via].Endpoint)
	eventually(t, 30*time.Second, "get obj after the drained node left", func() error {
		got, err := get(c, "drain", "obj")
		if err == nil && string(got) != string(data) {
			t.Fatal("obj differs")
		}
		return err
	})
}

// storageStatus reads the storage section of a node's /cluster/status.
func storageStatus(t *testing.T, p *testutil.Process) server.StorageStatus {
	t.Helper()
	code, body, err := testutil.AdminDo(p.AdminURL, http.MethodGet, "/cluster/status")
	if err != nil || code != http.StatusOK {
		t.Fatalf("/cluster/status: %d %s %v", code, body, err)
	}
	var st struct {
		Storage server.StorageStatus `json:"storage"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	return st.Storage
}
