package security

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/testutil"
)

// TestWipedNodeRestartsUnderOldID loses node 3's whole data directory and
// starts it again with the same flags, as a StatefulSet or compose file
// does after a volume loss. It must not come back as node 3 with an empty
// log (it could vote for a leader that lacks acknowledged writes, or make
// a quorum that forgets them): it asks the other members, learns that they
// have seen node 3 before, and refuses to start with a message that says
// how to replace it. Every acknowledged object is still there, and the
// replacement procedure of the message works.
func TestWipedNodeRestartsUnderOldID(t *testing.T) {
	cl := testutil.StartCluster(t, 3, "--placement-groups", "8")
	waitMembers(t, cl, 3)
	c := testutil.S3Client(cl.Nodes[0].Endpoint)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acked")}); err != nil {
		t.Fatal(err)
	}
	objects := map[string][]byte{}
	for i := 0; i < 10; i++ {
		key := fmt.Sprintf("k%d", i)
		objects[key] = bytes.Repeat([]byte{byte(i)}, 100_000+i)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("acked"), Key: aws.String(key), Body: bytes.NewReader(objects[key])}); err != nil {
			t.Fatal(err)
		}
	}
	cl.Nodes[2].Kill()
	if err := os.RemoveAll(cl.Dirs[2]); err != nil {
		t.Fatal(err)
	}
	code, log := testutil.RunToExit(t, cl.Bin(), cl.Dirs[2], 60e9, cl.Args(2)...)
	if code == 0 {
		t.Fatalf("the wiped node exited 0:\n%s", log)
	}
	for _, want := range []string{"its data was lost", "anode admin remove-node 3", "--join"} {
		if !strings.Contains(log, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, log)
		}
	}
	// It recorded no identity: it never ran raft, so it never voted.
	if _, err := os.Stat(filepath.Join(cl.Dirs[2], "node.json")); err == nil {
		t.Error("the wiped node recorded an identity before refusing")
	}
	for key, want := range objects {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("acked"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get %s after the refused restart: %v", key, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, want) {
			t.Fatalf("%s differs", key)
		}
	}

	// The procedure the message gives: remove node 3, start it empty with
	// --join; it becomes node 4.
	if code, body, err := testutil.AdminDo(cl.Nodes[0].AdminURL, http.MethodPost, "/cluster/remove-node?id=3"); err != nil || code != http.StatusOK {
		t.Fatalf("remove-node 3: %d %s %v", code, body, err)
	}
	os.RemoveAll(cl.Dirs[2])
	p := testutil.StartProcess(t, cl.Bin(), cl.Dirs[2], "--grpc-addr", cl.Members[2], "--join", cl.Members[0],
		"--placement-groups", "8", "--set", "cluster.secret="+cl.Secret)
	code2, body, err := testutil.AdminDo(p.AdminURL, http.MethodGet, "/cluster/status")
	if err != nil || code2 != http.StatusOK {
		t.Fatalf("status of the replacement: %d %s %v", code2, body, err)
	}
	var st struct {
		NodeID uint64 `json:"node_id"`
	}
	json.Unmarshal(body, &st)
	if st.NodeID == 3 || st.NodeID == 0 {
		t.Fatalf("the replacement runs as node %d, want a new ID", st.NodeID)
	}
}

// TestJoinWithToken grows a one-node server that was started with no
// cluster configuration (it made its own secret) by a node that knows no
// secret, with a join token from `anode admin join-token`. A tampered
// token is refused and changes nothing.
func TestJoinWithToken(t *testing.T) {
	bin := testutil.BuildAnode(t)
	base := t.TempDir()
	// A loopback /24 of its own, so concurrent runs of the suite never meet.
	net := fmt.Sprintf("127.%d.%d", 1+rand.IntN(250), 1+rand.IntN(250))
	addr1, addr2 := net+".1:9090", net+".2:9090"
	n1 := testutil.StartProcess(t, bin, filepath.Join(base, "n1"), "--grpc-addr", addr1, "--placement-groups", "8")
	if _, err := os.Stat(filepath.Join(base, "n1", "cluster-secret")); err != nil {
		t.Fatalf("a one-node server without configuration made no secret: %v", err)
	}
	// Its cluster port accepts no one: the secret is its own.
	for _, path := range []string{"/raft", "/join", "/chunks/" + strings.Repeat("ab", 32)} {
		if code := attack(t, attackClient(nil), http.MethodPost, "https://"+addr1+path, []byte("{}"), nil); !refused(code) {
			t.Errorf("one-node server, %s without a certificate: %d, want refused", path, code)
		}
	}
	// The token, as an operator gets it.
	cmd := exec.Command(bin, "admin", "join-token", "--addr", n1.AdminURL, "--ttl", "10m")
	cmd.Env = append(os.Environ(), "ANODE_ROOT_USER="+testutil.AccessKey, "ANODE_ROOT_PASSWORD="+testutil.SecretKey)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("anode admin join-token: %v", err)
	}
	tok := struct{ Token string }{strings.TrimSpace(string(out))}
	if !strings.HasPrefix(tok.Token, "anode-join-v1.") {
		t.Fatalf("anode admin join-token printed %q", out)
	}

	// Tampered: another expiry under the same MAC.
	parts := strings.Split(tok.Token, ".")
	parts[1] = fmt.Sprint(9999999999)
	bad := strings.Join(parts, ".")
	code, log := testutil.RunToExit(t, bin, filepath.Join(base, "bad"), 60e9, "--grpc-addr", addr2, "--join", addr1,
		"--join-token", bad, "--placement-groups", "8")
	if code == 0 || !strings.Contains(log, "join token: not made by this cluster") {
		t.Fatalf("a tampered token: exit %d\n%s", code, log)
	}
	if n := members(t, n1); len(n) != 1 {
		t.Fatalf("members after a refused join: %v", n)
	}

	n2 := testutil.StartProcess(t, bin, filepath.Join(base, "n2"), "--grpc-addr", addr2, "--join", addr1,
		"--join-token", tok.Token, "--placement-groups", "8")
	if n := members(t, n2); len(n) != 2 {
		t.Fatalf("members after the join: %v", n)
	}
	// The joined node received the secret and keeps it: it restarts
	// without the token.
	n2.Stop(t)
	n2 = testutil.StartProcess(t, bin, filepath.Join(base, "n2"), "--grpc-addr", addr2, "--join", addr1, "--placement-groups", "8")
	c := testutil.S3Client(n2.Endpoint)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("grown")}); err != nil {
		t.Fatalf("create bucket through the joined node: %v", err)
	}
}

func members(t *testing.T, p *testutil.Process) []cluster.Node {
	t.Helper()
	code, body, err := testutil.AdminDo(p.AdminURL, http.MethodGet, "/cluster/status")
	if err != nil || code != http.StatusOK {
		t.Fatalf("status: %d %s %v", code, body, err)
	}
	var st struct{ Nodes []cluster.Node }
	json.Unmarshal(body, &st)
	return st.Nodes
}
