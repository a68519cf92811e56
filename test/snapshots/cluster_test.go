package snapshots

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/testutil"
)

// anodeAdmin runs `anode admin ARGS...` against a node, as an operator
// would, and returns its output.
func anodeAdmin(t *testing.T, bin, adminURL string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"admin", args[0], "--addr", adminURL}, args[1:]...)...)
	cmd.Env = append(os.Environ(), "ANODE_ROOT_USER="+testutil.AccessKey, "ANODE_ROOT_PASSWORD="+testutil.SecretKey)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("anode admin %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestSnapshotAcrossCluster takes a snapshot with the CLI through node 1
// of a 3-node cluster, changes the bucket through node 3, and reads the
// snapshot back exactly through nodes 2 and 3; the snapshot deleted
// through node 2 is gone on node 3.
func TestSnapshotAcrossCluster(t *testing.T) {
	cl := testutil.StartCluster(t, 3)
	c1, c2, c3 := testutil.S3Client(cl.Nodes[0].Endpoint), testutil.S3Client(cl.Nodes[1].Endpoint), testutil.S3Client(cl.Nodes[2].Endpoint)
	if _, err := c1.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for i := 0; i < 10; i++ {
		key := fmt.Sprintf("obj%d", i)
		size := 64 + i
		if i%3 == 0 {
			size = 150 << 10
		}
		want[key] = randBytes(uint64(500+i), size)
		put(t, c2, "shared", key, want[key])
	}
	out := anodeAdmin(t, cl.Bin(), cl.Nodes[0].AdminURL, "snapshot", "create", "shared", "--name", "nightly")
	if !strings.Contains(out, "shared--nightly--snap") {
		t.Fatalf("snapshot create printed %q", out)
	}
	for i := 0; i < 10; i += 2 {
		put(t, c3, "shared", fmt.Sprintf("obj%d", i), []byte("rewritten through node 3"))
	}
	for i := 1; i < 10; i += 4 {
		del(t, c3, "shared", fmt.Sprintf("obj%d", i))
	}
	if out := anodeAdmin(t, cl.Bin(), cl.Nodes[1].AdminURL, "snapshot", "usage", "shared", "nightly"); !strings.Contains(out, `"objects": 10,`) {
		t.Fatalf("snapshot usage through node 2: %q", out)
	}
	sameContent(t, "snapshot read through node 2", readAll(t, c2, "shared--nightly--snap"), want)
	sameContent(t, "snapshot read through node 3", readAll(t, c3, "shared--nightly--snap"), want)
	if out := anodeAdmin(t, cl.Bin(), cl.Nodes[2].AdminURL, "snapshot", "list", "shared"); !strings.Contains(out, `"nightly"`) {
		t.Fatalf("snapshot list through node 3: %q", out)
	}
	anodeAdmin(t, cl.Bin(), cl.Nodes[1].AdminURL, "snapshot", "delete", "shared", "nightly")
	if _, err := c3.ListObjectsV2(bg(), &s3.ListObjectsV2Input{Bucket: aws.String("shared--nightly--snap")}); code(err) != "NoSuchBucket" {
		t.Fatalf("deleted snapshot listed through node 3: %v, want NoSuchBucket", err)
	}
	if st, _, _ := testutil.AdminDo(cl.Nodes[2].AdminURL, http.MethodGet, "/snapshots?bucket=shared"); st != http.StatusOK {
		t.Fatalf("list after delete: %d", st)
	}
}
