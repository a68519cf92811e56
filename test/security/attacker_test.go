// Package security plays the attacker against real clusters: processes on
// loopback started by internal/testutil, with a cluster secret as every
// multi-node cluster must have. An attacker reaches every port but knows
// neither the cluster secret nor the root credentials.
//
// How each check was shown to fail with its protection removed is in
// docs/fault-testing.md ("Attacker suite").
package security

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/peer"
	"github.com/anode/anode/internal/testutil"
)

// state is what an attack must not change.
type state struct {
	members []cluster.Node
	objects map[string][]byte
	chunks  [][]string // per node: chunk files (path and size)
}

func capture(t *testing.T, cl *testutil.Cluster, c *s3.Client, bucket string, keys []string) state {
	t.Helper()
	st := state{objects: map[string][]byte{}}
	code, body, err := testutil.AdminDo(cl.Nodes[0].AdminURL, http.MethodGet, "/cluster/status")
	if err != nil || code != http.StatusOK {
		t.Fatalf("signed /cluster/status: %d %s %v", code, body, err)
	}
	var status struct{ Nodes []cluster.Node }
	if err := json.Unmarshal(body, &status); err != nil {
		t.Fatal(err)
	}
	st.members = status.Nodes
	for _, k := range keys {
		out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			t.Fatalf("get %s: %v", k, err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		st.objects[k] = b
	}
	for _, dir := range cl.Dirs {
		var files []string
		filepath.WalkDir(filepath.Join(dir, "chunks"), func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && !strings.HasSuffix(path, "LOCK") {
				info, _ := d.Info()
				files = append(files, fmt.Sprintf("%s %d", strings.TrimPrefix(path, dir), info.Size()))
			}
			return nil
		})
		slices.Sort(files)
		st.chunks = append(st.chunks, files)
	}
	return st
}

func (a state) mustEqual(t *testing.T, b state) {
	t.Helper()
	if !slices.Equal(a.members, b.members) {
		t.Errorf("members changed: %v, then %v", a.members, b.members)
	}
	for k, v := range a.objects {
		if !bytes.Equal(v, b.objects[k]) {
			t.Errorf("object %s changed", k)
		}
	}
	for i := range a.chunks {
		if !slices.Equal(a.chunks[i], b.chunks[i]) {
			t.Errorf("node %d: chunk files changed:\n%v\nthen\n%v", i+1, a.chunks[i], b.chunks[i])
		}
	}
}

// waitMembers waits until node 1 reports n recorded members, so that an
// attack on the membership has something to change.
func waitMembers(t *testing.T, cl *testutil.Cluster, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body, err := testutil.AdminDo(cl.Nodes[0].AdminURL, http.MethodGet, "/cluster/status")
		var st struct {
			Nodes     []cluster.Node
			Placement struct{ Groups, Settled int }
		}
		if err == nil && code == http.StatusOK && json.Unmarshal(body, &st) == nil &&
			len(st.Nodes) == n && st.Placement.Groups > 0 && st.Placement.Settled == st.Placement.Groups {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("membership of %d not recorded and settled: %d %s %v", n, code, body, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// attackClient sends requests over TLS with the given client certificate
// (none when nil), trusting any server, as an attacker would.
func attackClient(cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{InsecureSkipVerify: true}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

// selfSigned makes a certificate of the attacker's own.
func selfSigned(t *testing.T) *tls.Certificate {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "anode node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// clusterID reads a node's cluster ID from its data directory (an
// attacker may well know it: it is no secret).
func clusterID(t *testing.T, dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "node.json"))
	if err != nil {
		t.Fatal(err)
	}
	var id struct {
		ClusterID string `json:"cluster_id"`
	}
	json.Unmarshal(b, &id)
	if id.ClusterID == "" {
		t.Fatalf("%s records no cluster ID", dir)
	}
	return id.ClusterID
}

// attack sends one request and returns its status (0: refused at the
// connection or TLS handshake).
func attack(t *testing.T, client *http.Client, method, url string, body []byte, hdr map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func refused(code int) bool { return code == 0 || code == 400 || code == 401 || code == 403 }

// TestAttackerWithoutCredentials attacks a 3-node cluster's cluster and
// admin ports without the cluster secret and without the root credentials:
// joining, raft messages (votes, appends, a snapshot), chunk reads and
// writes, removing a node and reading the cluster status are all refused,
// and afterwards the members, the objects and every node's chunk files are
// what they were.
func TestAttackerWithoutCredentials(t *testing.T) {
	cl := testutil.StartCluster(t, 3, "--placement-groups", "8")
	c := testutil.S3Client(cl.Nodes[0].Endpoint)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vault")}); err != nil {
		t.Fatal(err)
	}
	secretData := bytes.Repeat([]byte("secret!"), 200_000) // chunked, not inline
	keys := []string{"a", "b"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vault"), Key: aws.String(k), Body: bytes.NewReader(secretData)}); err != nil {
			t.Fatal(err)
		}
	}
	waitMembers(t, cl, 3)
	before := capture(t, cl, c, "vault", keys)
	chunkHash := sha256.Sum256(secretData) // one chunk (below the 4 MiB chunk size)
	target := cl.Members[1]                // node 2's cluster port
	cid := clusterID(t, cl.Dirs[1])
	ident := map[string]string{peer.ClusterIDHeader: cid, peer.FromHeader: "1", peer.ToHeader: "2", "X-Anode-Cluster": "anode"}

	// Raft messages an attacker would like node 2 to step: a vote request
	// with a huge term (to depose leaders), an append, and a snapshot that
	// replaces a group's state.
	raftBody, err := cluster.EncodeMessages([]cluster.GroupMessage{
		{Group: 0, Msg: pb.Message{Type: pb.MsgVote, From: 1, To: 2, Term: 1 << 40, LogTerm: 1 << 40, Index: 1 << 40}},
		{Group: 1, Msg: pb.Message{Type: pb.MsgApp, From: 1, To: 2, Term: 1 << 40, Entries: []pb.Entry{{Term: 1 << 40, Index: 1 << 30, Data: []byte("evil")}}}},
		{Group: 2, Msg: pb.Message{Type: pb.MsgSnap, From: 1, To: 2, Term: 1 << 40, Snapshot: &pb.Snapshot{
			Data: []byte("evil"), Metadata: pb.SnapshotMetadata{Index: 1 << 30, Term: 1 << 40, ConfState: pb.ConfState{Voters: []uint64{9}}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	joinBody := []byte(`{"addr":"127.0.0.99:9090","placement_groups":8}`)
	evil := []byte("attacker chunk")
	evilHash := sha256.Sum256(evil)
	fakeToken := "anode-join-v1." + fmt.Sprint(time.Now().Add(time.Hour).Unix()) + ".0011223344556677." +
		strings.Repeat("ab", 32) + "." + strings.Repeat("cd", 32)

	peerAttacks := []struct {
		name, method, path string
		body               []byte
		hdr                map[string]string
	}{
		{"join", "POST", "/join", joinBody, ident},
		{"join with a forged token", "POST", "/join", joinBody, map[string]string{"X-Anode-Join-Token": fakeToken}},
		{"raft vote, append and snapshot", "POST", "/raft", raftBody, ident},
		{"chunk read", "GET", "/chunks/" + hex.EncodeToString(chunkHash[:]), nil, ident},
		{"chunk range read", "GET", "/chunks/" + hex.EncodeToString(chunkHash[:]), nil, map[string]string{"Range": "bytes=0-99", peer.ToHeader: "2"}},
		{"chunk write", "PUT", "/chunks/" + hex.EncodeToString(evilHash[:]), evil, ident},
		{"chunk touch", "POST", "/chunks/" + hex.EncodeToString(chunkHash[:]) + "/touch", nil, ident},
		{"identity", "GET", "/identity", nil, ident},
	}
	// Three attackers: no certificate, a self-signed one, and one derived
	// from a guessed secret (the right derivation, the wrong secret).
	guessed, err := peer.New(peer.Credentials{Secret: strings.Repeat("guess", 8), ClusterName: "anode"})
	if err != nil {
		t.Fatal(err)
	}
	attackers := map[string]*http.Client{
		"no certificate":          attackClient(nil),
		"self-signed certificate": attackClient(selfSigned(t)),
		"guessed secret":          {Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: guessed.ClientConfig()}},
	}
	for who, client := range attackers {
		for _, a := range peerAttacks {
			if code := attack(t, client, a.method, "https://"+target+a.path, a.body, a.hdr); !refused(code) {
				t.Errorf("cluster port, %s, %s: answered %d, want refused", who, a.name, code)
			}
		}
	}
	// Plain HTTP to the cluster port is not spoken at all.
	if code := attack(t, http.DefaultClient, "POST", "http://"+target+"/join", joinBody, ident); !refused(code) {
		t.Errorf("cluster port over plain HTTP: %d, want refused", code)
	}

	// The admin port: no signature, a signature by unknown credentials, a
	// signature by a wrong secret for the right user, and the cross-site
	// form post a browser could be made to send.
	admin := cl.Nodes[0].AdminURL
	for _, creds := range [][2]string{{"", ""}, {"attacker", "attacker-secret"}, {testutil.AccessKey, "not-the-secret"}} {
		for _, ep := range []struct{ method, path string }{
			{"POST", "/cluster/remove-node?id=3"},
			{"GET", "/cluster/status"},
			{"POST", "/cluster/join-token"},
		} {
			code, body, err := testutil.AdminDoAs(admin, ep.method, ep.path, creds[0], creds[1])
			if err != nil {
				t.Fatal(err)
			}
			if !refused(code) {
				t.Errorf("admin %s %s as %q: %d %s, want refused", ep.method, ep.path, creds[0], code, body)
			}
		}
	}
	form, err := http.Post(admin+"/cluster/remove-node?id=3", "application/x-www-form-urlencoded", strings.NewReader("id=3"))
	if err != nil {
		t.Fatal(err)
	}
	form.Body.Close()
	if !refused(form.StatusCode) {
		t.Errorf("cross-site form post to remove-node: %d, want refused", form.StatusCode)
	}
	// Open endpoints stay open.
	for _, path := range []string{"/health", "/ready", "/metrics"} {
		resp, err := http.Get(admin + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %v %v, want 200", path, resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}

	after := capture(t, cl, c, "vault", keys)
	before.mustEqual(t, after)
	for i, dir := range cl.Dirs {
		x := hex.EncodeToString(evilHash[:])
		if _, err := os.Stat(filepath.Join(dir, "chunks", x[0:2], x[2:4], x)); err == nil {
			t.Errorf("node %d stores the attacker's chunk", i+1)
		}
	}
	// The cluster still works: a write and a read through every node.
	for i, n := range cl.Nodes {
		ci := testutil.S3Client(n.Endpoint)
		key := fmt.Sprintf("after-%d", i)
		if _, err := ci.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vault"), Key: aws.String(key), Body: strings.NewReader("still here")}); err != nil {
			t.Errorf("node %d after the attacks: %v", i+1, err)
		}
	}
}
