package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/server"
)

// adminClient signs admin requests with the root credentials (AWS
// Signature V4, as the S3 API expects them), which the admin port requires
// on every endpoint but /health, /ready and /metrics.
type adminClient struct {
	addr, accessKey, secretKey, region string
	http                               *http.Client
}

// adminFlags adds the flags every admin command shares.
func adminFlags(fs *flag.FlagSet) func() (*adminClient, error) {
	addr := fs.String("addr", "http://127.0.0.1:8081", "admin URL of any node (https:// when admin.tls_cert_file is set)")
	access := fs.String("access-key", os.Getenv("ANODE_ROOT_USER"), "root access key (default $ANODE_ROOT_USER)")
	secret := fs.String("secret-key", "", "root secret key (default $ANODE_ROOT_PASSWORD; prefer the variable: flags show in ps)")
	region := fs.String("region", "us-east-1", "the server's s3.region")
	caBundle := fs.String("ca-bundle", "", "PEM file of the CA that signed the admin port's certificate")
	return func() (*adminClient, error) {
		c := &adminClient{addr: *addr, accessKey: *access, secretKey: *secret, region: *region, http: &http.Client{}}
		if c.secretKey == "" {
			c.secretKey = os.Getenv("ANODE_ROOT_PASSWORD")
		}
		if c.accessKey == "" || c.secretKey == "" {
			return nil, errors.New("the admin API needs the root credentials: set ANODE_ROOT_USER and ANODE_ROOT_PASSWORD (or --access-key/--secret-key)")
		}
		if *caBundle != "" {
			pem, err := os.ReadFile(*caBundle)
			if err != nil {
				return nil, err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s: no PEM certificate", *caBundle)
			}
			c.http.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		}
		return c, nil
	}
}

// do sends a signed request with an empty body and returns the answer.
func (c *adminClient) do(ctx context.Context, method, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.addr+path, nil)
	if err != nil {
		return 0, nil, err
	}
	empty := sha256.Sum256(nil)
	hash := hex.EncodeToString(empty[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: c.accessKey, SecretAccessKey: c.secretKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", c.region, time.Now()); err != nil {
		return 0, nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, body, err
}

// runAdmin implements `anode admin <command>`: operations on a running
// node through its admin port.
func runAdmin(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: anode admin status [--addr http://127.0.0.1:8081]\n       anode admin remove-node [--addr http://127.0.0.1:8081] ID\n" +
			"       anode admin join-token [--addr http://127.0.0.1:8081] [--ttl 1h]\n" +
			"The root credentials come from ANODE_ROOT_USER and ANODE_ROOT_PASSWORD.\n" + iamUsage)
	}
	switch args[0] {
	case "status":
		return adminStatus(args[1:])
	case "remove-node":
		return adminRemoveNode(args[1:])
	case "kms":
		return adminKMS(args[1:])
	case "snapshot":
		return adminSnapshot(args[1:])
	case "join-token":
		return adminJoinToken(args[1:])
	case "user", "key", "group", "policy", "credential":
		return runIAM(args[0], args[1:])
	case "add-node", "replace-node":
		return fmt.Errorf("anode admin %s: a node is added by starting it with --join ADDR (the cluster address of any member); "+
			"to replace a node, add the new one, then 'anode admin remove-node' the old one", args[0])
	}
	return fmt.Errorf("anode admin: unknown command %q (try: status, remove-node, join-token, kms, snapshot, user, key, group, policy, credential)", args[0])
}

// adminJoinToken asks for a join token: a new node started with
// --join ADDR --join-token TOKEN joins without knowing the cluster secret.
func adminJoinToken(args []string) error {
	fs := flag.NewFlagSet("admin join-token", flag.ContinueOnError)
	client := adminFlags(fs)
	ttl := fs.Duration("ttl", time.Hour, "how long the token can be used (at most 168h)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	status, body, err := c.do(ctx, http.MethodPost, "/cluster/join-token?ttl="+ttl.String())
	if err != nil {
		return fmt.Errorf("join-token: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("join-token: %d: %s", status, body)
	}
	var tok struct{ Token, Expires string }
	if err := json.Unmarshal(body, &tok); err != nil {
		return fmt.Errorf("join-token: %w", err)
	}
	fmt.Println(tok.Token)
	fmt.Fprintf(os.Stderr, "valid until %s (any number of joins until then); start the new node with --join <cluster address of a member> --join-token <token>\n", tok.Expires)
	return nil
}

// adminRemoveNode drains a node (its chunks copied to their targets without
// it) and removes it from the cluster's membership; the groups then move
// their replicas off it (watch `anode admin status`).
func adminRemoveNode(args []string) error {
	fs := flag.NewFlagSet("admin remove-node", flag.ContinueOnError)
	client := adminFlags(fs)
	force := fs.Bool("force", false, "remove without draining (for a node whose data is lost: chunks only it held are lost too)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: anode admin remove-node [--addr URL] [--force] ID")
	}
	c, err := client()
	if err != nil {
		return err
	}
	// The node is drained first: every chunk copied to its targets without
	// it, which takes as long as copying the node's share of the data.
	ctx, cancel := context.WithTimeout(context.Background(), 31*time.Minute)
	defer cancel()
	status, body, err := c.do(ctx, http.MethodPost, fmt.Sprintf("/cluster/remove-node?id=%s&force=%t", url.QueryEscape(fs.Arg(0)), *force))
	if err != nil {
		return fmt.Errorf("remove-node: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("remove-node: %d: %s", status, body)
	}
	fmt.Printf("node %s drained and removed; members now: %s", fs.Arg(0), body)
	fmt.Println("its groups move their replicas off it; stop the node once 'anode admin status' shows every group settled")
	return nil
}

func adminStatus(args []string) error {
	fs := flag.NewFlagSet("admin status", flag.ContinueOnError)
	client := adminFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	status, body, err := c.do(ctx, http.MethodGet, "/cluster/status")
	if err != nil {
		return fmt.Errorf("admin status: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("admin status: %d: %s", status, body)
	}
	if *asJSON {
		os.Stdout.Write(body)
		return nil
	}
	var st struct {
		NodeID    uint64                `json:"node_id"`
		Name      string                `json:"name"`
		Nodes     []cluster.Node        `json:"nodes"`
		Groups    []cluster.GroupStatus `json:"groups"`
		Placement *struct {
			Groups  int `json:"groups"`
			Settled int `json:"settled"`
		} `json:"placement"`
		Lifecycle []lifecycleStatus     `json:"lifecycle"`
		Storage   *server.StorageStatus `json:"storage"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("admin status: %w", err)
	}
	fmt.Printf("node %d (%s)\n\nnodes:\n", st.NodeID, st.Name)
	for _, n := range st.Nodes {
		fmt.Printf("  %d  %s\n", n.ID, n.Addr)
	}
	leaders := map[uint64]int{}
	noLeader := 0
	for _, g := range st.Groups {
		if g.Leader == 0 {
			noLeader++
		}
		leaders[g.Leader]++
	}
	fmt.Printf("\ngroups: %d, without a leader: %d\n", len(st.Groups), noLeader)
	if st.Placement != nil {
		fmt.Printf("placement: %d of %d groups have their target replicas\n", st.Placement.Settled, st.Placement.Groups)
	}
	if sto := st.Storage; sto != nil {
		sc := sto.Scrub
		fmt.Printf("chunks on this node: %d (%d bytes); copies waiting for a replica: %d\n", sto.Chunks, sto.ChunkBytes, sto.PendingHints)
		if !sc.Running {
			fmt.Printf("scrub: off\n")
		} else {
			fmt.Printf("scrub: %d passes done; this pass %d chunks, %d of %d bytes", sc.Passes, sc.PassChunks, sc.PassBytes, sc.StoreBytes)
			if sc.ETA != "" {
				fmt.Printf(", done in about %s", sc.ETA)
			}
			fmt.Printf("; corrupt copies found %d, repaired %d, unrepaired %d\n", sc.Corrupt, sc.Repaired, sc.RepairFailures)
		}
		if rp := sto.Repair; !rp.Running {
			fmt.Printf("repair: off\n")
		} else {
			fmt.Printf("repair: %d passes done; %d referenced chunks; under-replicated here: %d (%d bytes), fetched %d, failed %d",
				rp.Passes, rp.ReferencedChunks, rp.UnderReplicated, rp.MissingBytes, rp.Fetched, rp.Failed)
			if rp.ETA != "" {
				fmt.Printf(", done in about %s", rp.ETA)
			}
			fmt.Printf("; extra copies %d, removed %d\n", rp.ExtraCopies, rp.ExtraRemoved)
		}
		g := sto.GC
		fmt.Printf("gc: %d passes done", g.Passes)
		if g.Running {
			fmt.Printf(", running since %s (%d chunks scanned)", g.PassStarted.Format(time.RFC3339), g.PassScanned)
		}
		if !g.LastEnded.IsZero() {
			fmt.Printf("; last ended %s: %d unreferenced chunks, %d deleted (%d bytes), %d reclaimable after their grace period (%d bytes)",
				g.LastEnded.Format(time.RFC3339), g.Unreferenced, g.Deleted, g.DeletedBytes, g.Reclaimable, g.ReclaimableBytes)
		}
		if g.LastError != "" {
			fmt.Printf("; last error: %s", g.LastError)
		}
		fmt.Println()
	}
	fmt.Printf("leaders per node:")
	for _, n := range st.Nodes {
		fmt.Printf(" %d:%d", n.ID, leaders[n.ID])
	}
	fmt.Println()
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "GROUP\tLEADER\tTERM\tCOMMIT\tAPPLIED\tVOTERS\tLEARNERS")
	for _, g := range st.Groups {
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%d\t%v\t%v\n", g.ID, g.Leader, g.Term, g.Commit, g.Applied, g.Voters, g.Learners)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return printLifecycle(st.Lifecycle)
}
