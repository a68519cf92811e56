package server

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/peer"
)

// The trust boundary of the cluster port (docs/security.md):
//
//   - Peers authenticate with mutual TLS: certificates derived from
//     cluster.secret, or operator certificates. A one-node server with no
//     configuration makes a random secret in its data directory, which no
//     other node knows, so its cluster port refuses everyone.
//   - A cluster of several nodes must be configured with a secret or
//     certificates, and with root credentials other than the defaults.
//   - A node joins with the secret (its certificate is the proof) or with
//     an operator's join token, and then receives the secret.
//   - Every request names the cluster ID and the node IDs (peer.Guard).
//   - A node that bootstraps with an empty data directory first asks the
//     other initial members whether they have seen its node ID before: if
//     they have, its data was lost and it must not vote under that ID.

// secretPath is where a node keeps a cluster secret it made (one-node
// server) or received (joined with a token).
func secretPath(dataDir string) string { return filepath.Join(dataDir, "cluster-secret") }

// multiNode reports whether the configuration describes a cluster of more
// than one node.
func multiNode(cfg *config.Config) bool {
	return len(cfg.Cluster.InitialMembers) > 1 || cfg.Cluster.Join != ""
}

// CheckClusterConfig refuses a multi-node configuration that anyone could
// take over: no peer credentials, or the well-known root credentials. New
// runs it first; the deployment tests run it on the manifests' settings.
func CheckClusterConfig(cfg *config.Config) error {
	if !multiNode(cfg) {
		return nil
	}
	var errs []error
	if !cfg.Cluster.HasPeerCredentials() && cfg.Cluster.JoinToken == "" {
		if _, err := os.Stat(secretPath(cfg.Storage.DataDir)); err != nil {
			errs = append(errs, errors.New("a cluster of more than one node needs peer authentication: set cluster.secret "+
				"(ANODE_CLUSTER_SECRET, the same on every node, at least 32 characters, e.g. `openssl rand -hex 32`) "+
				"or cluster.tls_cert_file, cluster.tls_key_file and cluster.tls_ca_file; a joining node may instead give --join-token"))
		}
	}
	if cfg.DefaultCredentials {
		errs = append(errs, errors.New("a cluster of more than one node refuses the default root credentials minioadmin/minioadmin: "+
			"set ANODE_ROOT_USER and ANODE_ROOT_PASSWORD (the same on every node)"))
	}
	return errors.Join(errs...)
}

// peerCredentials returns the configured credentials, or the secret kept in
// the data directory, or, for a new one-node server, a new random secret
// kept there. ok is false when a joining node has none yet (it gets the
// secret with its join token).
func peerCredentials(cfg *config.Config, fresh bool) (creds peer.Credentials, ok bool, err error) {
	cl := cfg.Cluster
	if cl.Secret != "" {
		return peer.Credentials{Secret: cl.Secret, PreviousSecret: cl.PreviousSecret, ClusterName: cl.Name}, true, nil
	}
	if cl.TLSCertFile != "" {
		return peer.Credentials{CertFile: cl.TLSCertFile, KeyFile: cl.TLSKeyFile, CAFile: cl.TLSCAFile}, true, nil
	}
	b, err := os.ReadFile(secretPath(cfg.Storage.DataDir))
	if err == nil {
		return peer.Credentials{Secret: strings.TrimSpace(string(b)), ClusterName: cl.Name}, true, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return peer.Credentials{}, false, err
	}
	if cl.Join != "" && fresh {
		return peer.Credentials{}, false, nil // from the join token
	}
	if multiNode(cfg) {
		return peer.Credentials{}, false, errors.New("no cluster secret: set cluster.secret or the cluster.tls_* files")
	}
	// A one-node server: a secret nobody else knows. To grow the cluster
	// later, new nodes join with a join token, or the operator sets
	// cluster.secret on every node.
	secret := make([]byte, 32)
	rand.Read(secret)
	s := hex.EncodeToString(secret)
	if err := writeSecret(cfg.Storage.DataDir, s); err != nil {
		return peer.Credentials{}, false, err
	}
	return peer.Credentials{Secret: s, ClusterName: cl.Name}, true, nil
}

// writeSecret stores the secret durably, readable by the node's user only
// (the file is created 0600 before anything is written to it).
func writeSecret(dataDir, secret string) error {
	path := secretPath(dataDir)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("store cluster secret: %w", err)
	}
	_, err = f.WriteString(secret + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		// The rename is durable once the directory is.
		var d *os.File
		if d, err = os.Open(dataDir); err == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("store cluster secret: %w", err)
	}
	return nil
}

// derivedClusterID is the ID of a cluster bootstrapped from initial
// members: every initial member computes the same one without talking.
func derivedClusterID(name string, members []cluster.Node) string {
	h := sha256.New()
	fmt.Fprintf(h, "anode cluster %s\n", name)
	for _, n := range members {
		fmt.Fprintf(h, "%d %s\n", n.ID, n.Addr)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func randomClusterID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Peers seen. A node records, durably, the ID of every peer that sent it an
// authenticated request. A node whose data directory was lost asks its
// peers before it bootstraps: one that has seen its ID proves it ran before.
type seenPeers struct {
	db   *pebble.DB
	mu   sync.Mutex
	seen map[uint64]bool
}

func seenKey(id uint64) []byte { return binary.BigEndian.AppendUint64([]byte("c/peer_seen/"), id) }

func (p *seenPeers) add(id uint64) {
	if id == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen[id] {
		return
	}
	if err := p.db.Set(seenKey(id), nil, pebble.Sync); err == nil {
		p.seen[id] = true
	}
}

func (p *seenPeers) has(id uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen[id] {
		return true
	}
	_, closer, err := p.db.Get(seenKey(id))
	if err != nil {
		return false
	}
	closer.Close()
	return true
}

// identityAnswer is what GET /identity answers a node that bootstraps.
type identityAnswer struct {
	ClusterID string `json:"cluster_id"`
	NodeID    uint64 `json:"node_id"`
	// Seen is set when this node has had requests from the asking node's
	// ID: that ID ran before, with data.
	Seen bool `json:"seen"`
}

// identityHandler serves GET /identity on the cluster port, to members only.
func (s *Server) identityHandler(w http.ResponseWriter, r *http.Request) {
	if !peer.Authenticated(r) {
		http.Error(w, "peer: a certificate of this cluster is required", http.StatusForbidden)
		return
	}
	self := s.self.Load()
	ans := identityAnswer{Seen: s.seen.has(peer.Sender(r))}
	if self != nil {
		ans.ClusterID, ans.NodeID = self.ClusterID, self.NodeID
	}
	json.NewEncoder(w).Encode(ans)
}

// errDataLost is returned when a node with an empty data directory finds
// that its ID has run before.
type errDataLost struct {
	id   uint64
	peer string
}

func (e errDataLost) Error() string {
	return fmt.Sprintf("node %d has an empty data directory, but member %s has seen node %d before: its data was lost, "+
		"and it must not vote under its old ID with an empty log. Replace it: on a running node run "+
		"'anode admin remove-node %d', then start this node with an empty data directory and --join <cluster address of a member> "+
		"instead of --initial-members (it gets a new ID); see docs/architecture.md, \"Replacing a node\"", e.id, e.peer, e.id, e.id)
}

// checkFreshMember runs before a node bootstraps from the initial members
// with an empty data directory. It asks the other initial members, until
// a majority of the initial members (this one included) answered, whether
// they have seen this node's ID. It returns the cluster ID they report, or
// the derived one when none has one yet.
func (s *Server) checkFreshMember(ctx context.Context, self uint64, initial []cluster.Node, client *http.Client) (string, error) {
	need := len(initial)/2 + 1 - 1
	answered := map[uint64]bool{}
	clusterID := ""
	lastLog := time.Now()
	var lastErr error // shown while waiting: a TLS failure means another secret
	for len(answered) < need {
		for _, n := range initial {
			if n.ID == self || answered[n.ID] {
				continue
			}
			ans, err := askIdentity(ctx, client, n.Addr, self)
			if err != nil {
				lastErr = fmt.Errorf("node %d (%s): %w", n.ID, n.Addr, err)
				continue
			}
			if ans.Seen {
				return "", errDataLost{id: self, peer: fmt.Sprintf("%d (%s)", n.ID, n.Addr)}
			}
			answered[n.ID] = true
			if ans.ClusterID != "" {
				clusterID = ans.ClusterID
			}
		}
		if len(answered) >= need {
			break
		}
		if time.Since(lastLog) > 5*time.Second {
			lastLog = time.Now()
			s.log.Warn("bootstrap: waiting for a majority of the initial members to answer (a node with an empty data directory checks that its ID did not run before; a TLS error means the nodes do not share the cluster secret or CA)",
				"answered", len(answered), "needed", need, "last_error", lastErr)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("bootstrap: %d of the %d other initial members needed answered: %w", len(answered), need, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	if clusterID == "" {
		clusterID = derivedClusterID(s.cfg.Cluster.Name, initial)
	}
	return clusterID, nil
}

func askIdentity(ctx context.Context, client *http.Client, addr string, self uint64) (*identityAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/identity", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(peer.FromHeader, strconv.FormatUint(self, 10))
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", addr, resp.Status)
	}
	var ans identityAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&ans); err != nil {
		return nil, err
	}
	return &ans, nil
}

// Join tokens. A token is
//
//	anode-join-v1.<expiry unix seconds>.<nonce>.<CA fingerprint>.<MAC>
//
// where MAC is HMAC-SHA256, under a key derived from the cluster secret,
// of everything before it. Every node knows the secret, so any node
// checks a token; none is stored. The CA fingerprint lets the joining node
// check that it talks to this cluster before it is handed the secret. A
// token can be used until it expires (not once only): give it a short
// lifetime.
const (
	joinTokenPrefix = "anode-join-v1"
	joinTokenHeader = "X-Anode-Join-Token"
	maxJoinTokenTTL = 7 * 24 * time.Hour
)

func joinTokenKey(secret string) []byte {
	k, _ := hkdf.Key(sha256.New, []byte(secret), nil, "anode join token v1", 32)
	return k
}

func makeJoinToken(secret, caFingerprint string, expires time.Time) string {
	nonce := make([]byte, 8)
	rand.Read(nonce)
	body := fmt.Sprintf("%s.%d.%s.%s", joinTokenPrefix, expires.Unix(), hex.EncodeToString(nonce), caFingerprint)
	mac := hmac.New(sha256.New, joinTokenKey(secret))
	mac.Write([]byte(body))
	return body + "." + hex.EncodeToString(mac.Sum(nil))
}

// parseJoinToken returns the token's CA fingerprint and expiry, without
// checking its MAC (the joining node cannot: it has no secret).
func parseJoinToken(token string) (caFingerprint string, expires time.Time, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[0] != joinTokenPrefix || len(parts[3]) != 64 {
		return "", time.Time{}, errors.New("not an anode join token (make one with 'anode admin join-token')")
	}
	sec, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", time.Time{}, errors.New("join token: bad expiry")
	}
	return parts[3], time.Unix(sec, 0), nil
}

// verifyJoinToken checks a token's MAC and expiry.
func verifyJoinToken(secret, token string, now time.Time) error {
	_, expires, err := parseJoinToken(token)
	if err != nil {
		return err
	}
	i := strings.LastIndexByte(token, '.')
	mac := hmac.New(sha256.New, joinTokenKey(secret))
	mac.Write([]byte(token[:i]))
	got, err := hex.DecodeString(token[i+1:])
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("join token: not made by this cluster")
	}
	if now.After(expires) {
		return fmt.Errorf("join token: expired at %s", expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// joinTokenHandler serves POST /cluster/join-token?ttl=DURATION on the
// admin port (authenticated): a token that lets one or more nodes join
// until it expires.
func (s *Server) joinTokenHandler(w http.ResponseWriter, r *http.Request) {
	if s.peerCreds.Secret == "" {
		http.Error(w, "join-token: this cluster authenticates nodes with operator certificates; a new node joins with its own certificate signed by the cluster CA", http.StatusBadRequest)
		return
	}
	if s.cfg.DefaultCredentials {
		http.Error(w, "join-token: refused while the root credentials are the default minioadmin/minioadmin: set ANODE_ROOT_USER and ANODE_ROOT_PASSWORD first", http.StatusBadRequest)
		return
	}
	ttl := time.Hour
	if v := r.URL.Query().Get("ttl"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > maxJoinTokenTTL {
			http.Error(w, fmt.Sprintf("join-token: ttl %q: a duration such as 30m, at most %v", v, maxJoinTokenTTL), http.StatusBadRequest)
			return
		}
		ttl = d
	}
	expires := time.Now().Add(ttl)
	tok := makeJoinToken(s.peerCreds.Secret, s.peerTLS.CAFingerprint(), expires)
	s.log.Info("join token made", "expires", expires.UTC().Format(time.RFC3339))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"token": tok, "expires": expires.UTC().Format(time.RFC3339)})
}
