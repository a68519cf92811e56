package security

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/peer"
	"github.com/anode/anode/internal/testutil"
)

// TestHostileMember sends what a compromised or buggy member could: it has
// the cluster secret, so it passes TLS, and every peer endpoint must still
// bound what it reads and allocates. Each request gets an error and the
// node keeps serving. With the bounds removed (the range read allocating
// what Range asks, the /raft Content-Length check gone), the range read
// of a terabyte kills node 2 (out of memory) and the test fails on the
// checks that follow.
func TestHostileMember(t *testing.T) {
	cl := testutil.StartCluster(t, 3, "--placement-groups", "8")
	waitMembers(t, cl, 3)
	c := testutil.S3Client(cl.Nodes[0].Endpoint)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("hostile")}); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("x"), 300_000)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hostile"), Key: aws.String("k"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := peer.New(peer.Credentials{Secret: cl.Secret, ClusterName: "anode"})
	if err != nil {
		t.Fatal(err)
	}
	member := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg.ClientConfig(), MaxConnsPerHost: 0}}
	cid := clusterID(t, cl.Dirs[1])
	base := "https://" + cl.Members[1]
	ident := func(req *http.Request) { peer.SetHeaders(req, peer.Identity{ClusterID: cid, NodeID: 1}, 2) }
	send := func(method, path string, body io.Reader, length int64, hdr map[string]string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, body)
		if length >= 0 {
			req.ContentLength = length
		}
		ident(req)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := member.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		return resp.StatusCode, b
	}
	h := sha256.Sum256(data)
	name := hex.EncodeToString(h[:])

	// The member's credentials work: the positive control.
	if code, body := send("GET", "/chunks/"+name, nil, -1, nil); code != 200 || !bytes.Equal(body, data) {
		t.Fatalf("member chunk read: %d (%d bytes), want 200 and the chunk", code, len(body))
	}
	// A range read asking for a terabyte allocates no more than a chunk.
	if code, body := send("GET", "/chunks/"+name, nil, -1, map[string]string{"Range": "bytes=0-1099511627775"}); code != http.StatusPartialContent || len(body) != len(data) {
		t.Errorf("range read of 1 TiB: %d with %d bytes, want 206 with the %d bytes of the chunk", code, len(body), len(data))
	}
	if code, _ := send("GET", "/chunks/"+name, nil, -1, map[string]string{"Range": "bytes=-5-10"}); code != http.StatusBadRequest {
		t.Errorf("negative range: %d, want 400", code)
	}
	// A /raft body that claims a gigabyte is refused before it is read:
	// the request's head and a few bytes are written on a raw connection
	// and the answer comes without the rest (an HTTP client would race
	// its body writes against the server closing the connection).
	if code := claimLength(t, cl.Members[1], tlsCfg.ClientConfig(), "/raft", 1<<30, cid); code != http.StatusRequestEntityTooLarge {
		t.Errorf("/raft with Content-Length 1 GiB: %d, want 413", code)
	}
	// A chunk larger than storage.chunk_size.
	// (The server answers 413 and closes; the client may see the closed
	// connection first.)
	if code, _ := send("PUT", "/chunks/"+strings.Repeat("ab", 32), io.LimitReader(zeros{}, 1<<20), 64<<20, nil); code != http.StatusRequestEntityTooLarge && code != 0 {
		t.Errorf("chunk PUT of 64 MiB: %d, want 413", code)
	}
	// Garbage raft batches, and messages that claim another sender.
	if code, _ := send("POST", "/raft", strings.NewReader("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), -1, nil); code != http.StatusBadRequest {
		t.Errorf("garbage /raft batch: %d, want 400", code)
	}
	forged, _ := cluster.EncodeMessages([]cluster.GroupMessage{{Group: 0, Msg: pb.Message{Type: pb.MsgHeartbeat, From: 3, To: 2, Term: 1 << 40}}})
	if code, _ := send("POST", "/raft", bytes.NewReader(forged), -1, nil); code != http.StatusForbidden {
		t.Errorf("raft message from node 3 in a batch from node 1: %d, want 403", code)
	}
	// Requests for another node or another cluster.
	req, _ := http.NewRequest("GET", base+"/chunks/"+name, nil)
	peer.SetHeaders(req, peer.Identity{ClusterID: cid, NodeID: 1}, 3)
	if resp, err := member.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("request to node 3 sent to node 2: %v %v, want 403", resp, err)
	} else {
		resp.Body.Close()
	}
	req, _ = http.NewRequest("GET", base+"/chunks/"+name, nil)
	peer.SetHeaders(req, peer.Identity{ClusterID: "another-cluster", NodeID: 1}, 2)
	if resp, err := member.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("request naming another cluster: %v %v, want 403", resp, err)
	} else {
		resp.Body.Close()
	}

	// Concurrency: requests that never finish their bodies hold every
	// slot; one more waits and is refused with 503 instead of queueing
	// without bound. When they go away the node serves peers again.
	const hold = 128 // maxPeerRequests in internal/server
	var wg sync.WaitGroup
	stop := make(chan struct{})
	holding := make(chan struct{}, hold)
	for i := 0; i < hold; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pr, pw := io.Pipe()
			go func() {
				pw.Write([]byte("x"))
				holding <- struct{}{}
				<-stop
				pw.CloseWithError(fmt.Errorf("attacker gone"))
			}()
			req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/chunks/%064x", base, i), pr)
			req.ContentLength = 1000
			ident(req)
			resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg.ClientConfig()}}).Do(req)
			if err == nil {
				resp.Body.Close()
			}
		}(i)
	}
	for i := 0; i < hold; i++ {
		<-holding
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _ := send("GET", "/chunks/"+name, nil, -1, nil)
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with %d requests held open, a further request got %d, want 503", hold, code)
		}
	}
	// A request without credentials is refused at once, without waiting
	// for a slot (refused requests never take one).
	began := time.Now()
	if code := attack(t, attackClient(nil), "GET", base+"/chunks/"+name, nil, nil); code != http.StatusForbidden || time.Since(began) > 3*time.Second {
		t.Errorf("unauthenticated request while the slots are held: %d after %v, want 403 at once", code, time.Since(began))
	}
	close(stop)
	wg.Wait()
	deadline = time.Now().Add(30 * time.Second)
	for {
		code, _ := send("GET", "/chunks/"+name, nil, -1, nil)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the held requests ended, a chunk read got %d, want 200", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// And the cluster as a whole works.
	if _, err := testutil.S3Client(cl.Nodes[1].Endpoint).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hostile"), Key: aws.String("after"), Body: strings.NewReader("ok")}); err != nil {
		t.Fatalf("put after the hostile requests: %v", err)
	}
}

// claimLength sends a POST whose head claims length bytes of body, sends
// 1 KiB of it, and returns the status of the answer.
func claimLength(t *testing.T, addr string, cfg *tls.Config, path string, length int64, cid string) int {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n%s: %s\r\n%s: 1\r\n%s: 2\r\n\r\n",
		path, addr, length, peer.ClusterIDHeader, cid, peer.FromHeader, peer.ToHeader)
	conn.Write(make([]byte, 1024))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
