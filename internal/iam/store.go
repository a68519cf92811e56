package iam

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/raft/v3"

	"github.com/anode/anode/internal/auth"
	"github.com/anode/anode/internal/meta"
)

// Store manages users, access keys, groups and stored policies in the
// system raft group. Changes are commands proposed to the group; reads
// that must see every committed change (a key's secret when a request is
// authenticated, listings for the admin API) pass the group's read
// barrier first, so a key deleted through one node is refused by every
// node from the moment the deletion was acknowledged.
//
// Secret keys are encrypted with AES-256-GCM before they are proposed (so
// neither the raft log nor Pebble holds them in clear), under a key
// derived with HKDF-SHA256 from the root credentials, which are
// configuration (environment or flags), not in the data directory.
type Store struct {
	meta       *meta.Store
	rootKey    string
	rootSecret string
	aead       cipher.AEAD
	prev       cipher.AEAD // previous root credentials' cipher, or nil
	// Now is the clock (tests may set it); nil means time.Now.
	Now func() time.Time
}

// NewStore returns a Store over the metadata store. The root credentials
// authenticate the root user and key the encryption of stored secrets.
func NewStore(m *meta.Store, rootAccessKey, rootSecret string) (*Store, error) {
	aead, err := secretCipher(rootAccessKey, rootSecret)
	if err != nil {
		return nil, err
	}
	return &Store{meta: m, rootKey: rootAccessKey, rootSecret: rootSecret, aead: aead}, nil
}

// SetPreviousRoot names the root credentials before a rotation: secrets
// encrypted under them stay readable until ReencryptKeys moves them to
// the current ones. The previous credentials do not authenticate anything.
func (s *Store) SetPreviousRoot(accessKey, secret string) error {
	aead, err := secretCipher(accessKey, secret)
	if err != nil {
		return err
	}
	s.prev = aead
	return nil
}

// secretCipher returns the AEAD that encrypts secret keys, keyed by HKDF
// from the root credentials.
func secretCipher(rootAccessKey, rootSecret string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, []byte(rootAccessKey+"\x00"+rootSecret), []byte("anode iam secret keys v1"), "aes-256-gcm", 32)
	if err != nil {
		return nil, fmt.Errorf("derive the secret-key encryption key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Errors of the store, besides those of meta (ErrIAMExists, ...).
var (
	ErrInvalidName   = errors.New("invalid name")
	ErrNoSuchPolicy  = errors.New("no such policy")
	ErrBuiltinPolicy = errors.New("built-in policies cannot be changed")
)

// RootAccessKey returns the root user's access key.
func (s *Store) RootAccessKey() string { return s.rootKey }

// LookupSecret implements auth.ContextCredentials: the secret of an
// active, unexpired access key of an enabled user, read linearizably.
func (s *Store) LookupSecret(ctx context.Context, accessKey string) (string, error) {
	if accessKey == s.rootKey {
		return s.rootSecret, nil
	}
	if !validAccessKeyID(accessKey) {
		return "", auth.ErrUnknownAccessKey
	}
	if err := s.meta.SystemBarrier(ctx); err != nil {
		return "", err
	}
	k, _, err := s.activeKey(accessKey)
	if err != nil {
		return "", err
	}
	return s.decrypt(k)
}

// activeKey reads a key and its user from the applied state and checks
// that both are usable.
func (s *Store) activeKey(accessKey string) (*meta.AccessKey, *meta.User, error) {
	var k meta.AccessKey
	found, err := s.meta.IAMGet(meta.IAMKey, accessKey, &k)
	if err != nil {
		return nil, nil, err
	}
	if !found || k.Disabled || (k.Expires != 0 && s.now().UnixNano() >= k.Expires) {
		return nil, nil, auth.ErrUnknownAccessKey
	}
	var u meta.User
	found, err = s.meta.IAMGet(meta.IAMUser, k.User, &u)
	if err != nil {
		return nil, nil, err
	}
	if !found || u.Disabled {
		return nil, nil, auth.ErrUnknownAccessKey
	}
	return &k, &u, nil
}

// Identity returns the identity of an access key that LookupSecret has
// just accepted for the same request: it reads the applied state without
// another barrier (the request's barrier already happened). Policy
// documents that no longer parse, or attached names that no longer exist,
// contribute nothing (they can only take access away).
func (s *Store) Identity(accessKey string) (*Identity, error) {
	if accessKey == s.rootKey {
		return &Identity{Root: true, AccessKey: accessKey}, nil
	}
	_, u, err := s.activeKey(accessKey)
	if err != nil {
		return nil, err
	}
	id := &Identity{User: u.Name, AccessKey: accessKey}
	names := slices.Clone(u.Policies)
	for _, g := range u.Groups {
		var grp meta.Group
		found, err := s.meta.IAMGet(meta.IAMGroup, g, &grp)
		if err != nil {
			return nil, err
		}
		if found {
			names = append(names, grp.Policies...)
		}
	}
	for _, n := range names {
		p, err := s.policy(n)
		if err != nil {
			continue
		}
		id.Policies = append(id.Policies, NamedPolicy{Name: n, Policy: p})
	}
	return id, nil
}

// policy returns a built-in or stored policy, parsed.
func (s *Store) policy(name string) (*Policy, error) {
	if IsBuiltin(name) {
		return Builtin(name)
	}
	var rec meta.Policy
	found, err := s.meta.IAMGet(meta.IAMPolicy, name, &rec)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNoSuchPolicy
	}
	return ParseCached(rec.Document, IdentityPolicy)
}

// --- secrets ---

func (s *Store) encrypt(accessKey, secret string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, []byte(secret), []byte(accessKey)), nil
}

func (s *Store) decrypt(k *meta.AccessKey) (string, error) {
	secret, _, err := s.open(k)
	return secret, err
}

// open decrypts a key's secret with the current cipher or, failing that,
// the previous one (reporting which).
func (s *Store) open(k *meta.AccessKey) (secret string, previous bool, err error) {
	n := s.aead.NonceSize()
	if len(k.Secret) < n {
		return "", false, fmt.Errorf("access key %s: stored secret is truncated", k.AccessKey)
	}
	plain, err := s.aead.Open(nil, k.Secret[:n], k.Secret[n:], []byte(k.AccessKey))
	if err != nil && s.prev != nil {
		if plain, err = s.prev.Open(nil, k.Secret[:n], k.Secret[n:], []byte(k.AccessKey)); err == nil {
			return string(plain), true, nil
		}
	}
	if err != nil {
		// The root credentials changed since the key was made (or the
		// record was tampered with): the key cannot be used.
		return "", false, fmt.Errorf("%w: access key %s: its secret cannot be decrypted with the current root credentials",
			auth.ErrUnknownAccessKey, k.AccessKey)
	}
	return string(plain), false, nil
}

// ReencryptResult counts what ReencryptKeys did.
type ReencryptResult struct {
	Reencrypted   int      `json:"reencrypted"`
	Current       int      `json:"current"`
	Undecryptable []string `json:"undecryptable"`
}

// ReencryptKeys re-encrypts under the current root credentials every
// access key whose secret only the previous ones decrypt. Each key is
// written back with a compare-and-set on its revision; one changed
// concurrently is read again.
func (s *Store) ReencryptKeys(ctx context.Context) (ReencryptResult, error) {
	res := ReencryptResult{Undecryptable: []string{}}
	keys, err := list[meta.AccessKey](ctx, s, meta.IAMKey)
	if err != nil {
		return res, err
	}
	for i := range keys {
		k := &keys[i]
		for attempt := 0; ; attempt++ {
			secret, previous, err := s.open(k)
			if err != nil {
				res.Undecryptable = append(res.Undecryptable, k.AccessKey)
				break
			}
			if !previous {
				res.Current++
				break
			}
			if k.Secret, err = s.encrypt(k.AccessKey, secret); err != nil {
				return res, err
			}
			err = s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMKey, Rev: k.Rev, Key: k})
			if err == nil {
				res.Reencrypted++
				break
			}
			if !errors.Is(err, meta.ErrIAMChanged) || attempt == 4 {
				if errors.Is(err, meta.ErrIAMNotFound) {
					break // deleted meanwhile
				}
				return res, err
			}
			if err := s.read(ctx, meta.IAMKey, k.AccessKey, k); err != nil {
				if errors.Is(err, meta.ErrIAMNotFound) {
					break
				}
				return res, err
			}
		}
	}
	return res, nil
}

// Access key IDs look like AWS's: "AK" and 18 characters of base32 (A-Z,
// 2-7), 20 characters in all. Secrets are 40 characters of base64url.
var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newAccessKeyID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "AK" + keyEncoding.EncodeToString(b)[:18]
}

func newSecret() string {
	b := make([]byte, 30)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func validAccessKeyID(s string) bool {
	if len(s) != 20 || s[:2] != "AK" {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// validName accepts IAM user, group and policy names: 1 to 128 of
// A-Z a-z 0-9 and +=,.@_- (AWS's rule; users up to 64).
func validName(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// --- proposals ---

// propose commits an IAM command. A proposal raft dropped before it
// entered the log (no leader at that moment, or a leadership transfer in
// progress) is proposed again, for up to proposeRetry: it cannot have been
// applied, so retrying never applies a command twice.
func (s *Store) propose(ctx context.Context, c *meta.IAMCommand) error {
	deadline := time.Now().Add(proposeRetry)
	for backoff := 10 * time.Millisecond; ; backoff = min(2*backoff, 200*time.Millisecond) {
		_, err := s.meta.Propose(ctx, meta.SystemGroup, &meta.Command{Op: meta.OpIAM, Time: s.now().UnixNano(), IAM: c})
		if !errors.Is(err, raft.ErrProposalDropped) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
	}
}

const proposeRetry = 10 * time.Second

// read reads one record linearizably.
func (s *Store) read(ctx context.Context, kind byte, name string, v any) error {
	if err := s.meta.SystemBarrier(ctx); err != nil {
		return err
	}
	found, err := s.meta.IAMGet(kind, name, v)
	if err != nil {
		return err
	}
	if !found {
		return meta.ErrIAMNotFound
	}
	return nil
}

// list reads every record of a kind linearizably.
func list[T any](ctx context.Context, s *Store, kind byte) ([]T, error) {
	if err := s.meta.SystemBarrier(ctx); err != nil {
		return nil, err
	}
	var out []T
	err := s.meta.IAMList(kind, func(v []byte) error {
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			return err
		}
		out = append(out, rec)
		return nil
	})
	return out, err
}

// updateUser applies fn to a user's record and writes it back if it is
// still the revision read, retrying a few times on a concurrent change.
func (s *Store) updateUser(ctx context.Context, name string, fn func(*meta.User) error) error {
	for attempt := 0; ; attempt++ {
		var u meta.User
		if err := s.read(ctx, meta.IAMUser, name, &u); err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return err
		}
		err := s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMUser, Rev: u.Rev, User: &u})
		if !errors.Is(err, meta.ErrIAMChanged) || attempt == 4 {
			return err
		}
	}
}

func (s *Store) updateGroup(ctx context.Context, name string, fn func(*meta.Group) error) error {
	for attempt := 0; ; attempt++ {
		var g meta.Group
		if err := s.read(ctx, meta.IAMGroup, name, &g); err != nil {
			return err
		}
		if err := fn(&g); err != nil {
			return err
		}
		err := s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMGroup, Rev: g.Rev, Group: &g})
		if !errors.Is(err, meta.ErrIAMChanged) || attempt == 4 {
			return err
		}
	}
}

// --- users ---

// CreateUser creates an enabled user with the given policies attached.
func (s *Store) CreateUser(ctx context.Context, name string, policies []string) (*meta.User, error) {
	if !validName(name, 64) {
		return nil, fmt.Errorf("%w: user name %q (1-64 of A-Z a-z 0-9 +=,.@_-)", ErrInvalidName, name)
	}
	for _, p := range policies {
		if err := s.checkPolicyExists(ctx, p); err != nil {
			return nil, err
		}
	}
	if len(dedup(policies)) > MaxAttachedPolicies {
		return nil, fmt.Errorf("%w: at most %d policies attached to a user", ErrLimit, MaxAttachedPolicies)
	}
	u := &meta.User{Name: name, Created: s.now().UnixNano(), Policies: dedup(policies)}
	if err := s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMUser, Create: true, User: u}); err != nil {
		return nil, err
	}
	return u, nil
}

// User returns a user (linearizable).
func (s *Store) User(ctx context.Context, name string) (*meta.User, error) {
	var u meta.User
	if err := s.read(ctx, meta.IAMUser, name, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// Users returns every user in name order (linearizable).
func (s *Store) Users(ctx context.Context) ([]meta.User, error) {
	return list[meta.User](ctx, s, meta.IAMUser)
}

// DeleteUser deletes a user and all its access keys.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	return s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMUser, Delete: true, Name: name})
}

// SetUserDisabled disables or enables a user: a disabled user's keys are
// refused (InvalidAccessKeyId) until it is enabled again.
func (s *Store) SetUserDisabled(ctx context.Context, name string, disabled bool) error {
	return s.updateUser(ctx, name, func(u *meta.User) error { u.Disabled = disabled; return nil })
}

// AttachUserPolicy attaches a policy to a user (or detaches it).
func (s *Store) AttachUserPolicy(ctx context.Context, user, policy string, attach bool) error {
	if attach {
		if err := s.checkPolicyExists(ctx, policy); err != nil {
			return err
		}
	}
	return s.updateUser(ctx, user, func(u *meta.User) (err error) {
		u.Policies, err = toggleLimited(u.Policies, policy, attach, MaxAttachedPolicies, "policies attached to a user")
		return err
	})
}

// --- access keys ---

// NewKey is a freshly made access key with its secret, which is shown
// once and never again.
type NewKey struct {
	AccessKey   string    `json:"access_key"`
	SecretKey   string    `json:"secret_key"`
	User        string    `json:"user"`
	Description string    `json:"description,omitempty"`
	Expires     time.Time `json:"expires,omitzero"`
}

// KeyOptions are the optional attributes of a new key.
type KeyOptions struct {
	Description string
	Expires     time.Time // zero: never
}

const maxDescription = 256

// CreateKey makes a new access key for a user.
func (s *Store) CreateKey(ctx context.Context, user string, opts KeyOptions) (*NewKey, error) {
	return s.createKey(ctx, user, opts, "")
}

func (s *Store) createKey(ctx context.Context, user string, opts KeyOptions, replaces string) (*NewKey, error) {
	if len(opts.Description) > maxDescription {
		return nil, fmt.Errorf("%w: description longer than %d bytes", ErrInvalidName, maxDescription)
	}
	if !opts.Expires.IsZero() && !opts.Expires.After(s.now()) {
		return nil, fmt.Errorf("%w: expiry %s is in the past", ErrInvalidName, opts.Expires.Format(time.RFC3339))
	}
	ak, secret := newAccessKeyID(), newSecret()
	enc, err := s.encrypt(ak, secret)
	if err != nil {
		return nil, err
	}
	k := &meta.AccessKey{AccessKey: ak, User: user, Secret: enc, Created: s.now().UnixNano(), Description: opts.Description}
	if !opts.Expires.IsZero() {
		k.Expires = opts.Expires.UnixNano()
	}
	if err := s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMKey, Create: true, Key: k, Replaces: replaces}); err != nil {
		return nil, err
	}
	return &NewKey{AccessKey: ak, SecretKey: secret, User: user, Description: opts.Description, Expires: opts.Expires}, nil
}

// KeyInfo describes an access key, without its secret.
type KeyInfo struct {
	AccessKey   string    `json:"access_key"`
	User        string    `json:"user"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires,omitzero"`
	Description string    `json:"description,omitempty"`
	Disabled    bool      `json:"disabled,omitempty"`
	Expired     bool      `json:"expired,omitempty"`
}

func (s *Store) keyInfo(k *meta.AccessKey) KeyInfo {
	ki := KeyInfo{AccessKey: k.AccessKey, User: k.User, Created: time.Unix(0, k.Created).UTC(),
		Description: k.Description, Disabled: k.Disabled}
	if k.Expires != 0 {
		ki.Expires = time.Unix(0, k.Expires).UTC()
		ki.Expired = s.now().UnixNano() >= k.Expires
	}
	return ki
}

// Keys returns the access keys of a user ("" for every user's), without
// secrets (linearizable).
func (s *Store) Keys(ctx context.Context, user string) ([]KeyInfo, error) {
	if user != "" {
		if _, err := s.User(ctx, user); err != nil {
			return nil, err
		}
	}
	keys, err := list[meta.AccessKey](ctx, s, meta.IAMKey)
	if err != nil {
		return nil, err
	}
	out := []KeyInfo{}
	for i := range keys {
		if user == "" || keys[i].User == user {
			out = append(out, s.keyInfo(&keys[i]))
		}
	}
	return out, nil
}

// Key returns one access key's description (linearizable).
func (s *Store) Key(ctx context.Context, accessKey string) (KeyInfo, error) {
	var k meta.AccessKey
	if err := s.read(ctx, meta.IAMKey, accessKey, &k); err != nil {
		return KeyInfo{}, err
	}
	return s.keyInfo(&k), nil
}

// DeleteKey deletes an access key.
func (s *Store) DeleteKey(ctx context.Context, accessKey string) error {
	return s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMKey, Delete: true, Name: accessKey})
}

// RotateKey replaces an access key by a new one of the same user, with the
// same description and expiry, in one command: from the moment it is
// acknowledged the old key is refused and the new one accepted.
func (s *Store) RotateKey(ctx context.Context, accessKey string) (*NewKey, error) {
	var k meta.AccessKey
	if err := s.read(ctx, meta.IAMKey, accessKey, &k); err != nil {
		return nil, err
	}
	opts := KeyOptions{Description: k.Description}
	if k.Expires != 0 {
		opts.Expires = time.Unix(0, k.Expires)
	}
	return s.createKey(ctx, k.User, opts, accessKey)
}

// SetKeyDisabled disables or enables one access key.
func (s *Store) SetKeyDisabled(ctx context.Context, accessKey string, disabled bool) error {
	for attempt := 0; ; attempt++ {
		var k meta.AccessKey
		if err := s.read(ctx, meta.IAMKey, accessKey, &k); err != nil {
			return err
		}
		k.Disabled = disabled
		err := s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMKey, Rev: k.Rev, Key: &k})
		if !errors.Is(err, meta.ErrIAMChanged) || attempt == 4 {
			return err
		}
	}
}

// --- groups ---

// CreateGroup creates an empty group.
func (s *Store) CreateGroup(ctx context.Context, name string, policies []string) (*meta.Group, error) {
	if !validName(name, 128) {
		return nil, fmt.Errorf("%w: group name %q (1-128 of A-Z a-z 0-9 +=,.@_-)", ErrInvalidName, name)
	}
	for _, p := range policies {
		if err := s.checkPolicyExists(ctx, p); err != nil {
			return nil, err
		}
	}
	if len(dedup(policies)) > MaxAttachedPolicies {
		return nil, fmt.Errorf("%w: at most %d policies attached to a group", ErrLimit, MaxAttachedPolicies)
	}
	g := &meta.Group{Name: name, Created: s.now().UnixNano(), Policies: dedup(policies)}
	if err := s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMGroup, Create: true, Group: g}); err != nil {
		return nil, err
	}
	return g, nil
}

// GroupInfo is a group with its members.
type GroupInfo struct {
	meta.Group
	Members []string `json:"members"`
}

// Groups returns every group with its members (linearizable).
func (s *Store) Groups(ctx context.Context) ([]GroupInfo, error) {
	groups, err := list[meta.Group](ctx, s, meta.IAMGroup)
	if err != nil {
		return nil, err
	}
	users, err := list[meta.User](ctx, s, meta.IAMUser)
	if err != nil {
		return nil, err
	}
	out := []GroupInfo{}
	for _, g := range groups {
		gi := GroupInfo{Group: g, Members: []string{}}
		for _, u := range users {
			if slices.Contains(u.Groups, g.Name) {
				gi.Members = append(gi.Members, u.Name)
			}
		}
		out = append(out, gi)
	}
	return out, nil
}

// Group returns one group with its members.
func (s *Store) Group(ctx context.Context, name string) (*GroupInfo, error) {
	groups, err := s.Groups(ctx)
	if err != nil {
		return nil, err
	}
	for i := range groups {
		if groups[i].Name == name {
			return &groups[i], nil
		}
	}
	return nil, meta.ErrIAMNotFound
}

// DeleteGroup deletes a group; its members leave it.
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	return s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMGroup, Delete: true, Name: name})
}

// SetMember adds a user to a group or removes it.
func (s *Store) SetMember(ctx context.Context, group, user string, member bool) error {
	if member {
		var g meta.Group
		if err := s.read(ctx, meta.IAMGroup, group, &g); err != nil {
			return err
		}
	}
	return s.updateUser(ctx, user, func(u *meta.User) (err error) {
		u.Groups, err = toggleLimited(u.Groups, group, member, MaxGroupsPerUser, "groups per user")
		return err
	})
}

// AttachGroupPolicy attaches a policy to a group (or detaches it).
func (s *Store) AttachGroupPolicy(ctx context.Context, group, policy string, attach bool) error {
	if attach {
		if err := s.checkPolicyExists(ctx, policy); err != nil {
			return err
		}
	}
	return s.updateGroup(ctx, group, func(g *meta.Group) (err error) {
		g.Policies, err = toggleLimited(g.Policies, policy, attach, MaxAttachedPolicies, "policies attached to a group")
		return err
	})
}

// --- policies ---

// PutPolicy stores (creates or replaces) a named identity policy after
// checking that it parses.
func (s *Store) PutPolicy(ctx context.Context, name string, doc []byte) error {
	if IsBuiltin(name) {
		return ErrBuiltinPolicy
	}
	if !validName(name, 128) {
		return fmt.Errorf("%w: policy name %q (1-128 of A-Z a-z 0-9 +=,.@_-)", ErrInvalidName, name)
	}
	if len(doc) > MaxIdentityPolicySize {
		return &ParseError{Msg: fmt.Sprintf("policy document larger than %d bytes", MaxIdentityPolicySize)}
	}
	if _, err := Parse(doc, IdentityPolicy); err != nil {
		return err
	}
	compact, err := compactJSON(doc)
	if err != nil {
		return &ParseError{Msg: err.Error()}
	}
	return s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMPolicy, Policy: &meta.Policy{
		Name: name, Created: s.now().UnixNano(), Document: compact,
	}})
}

// StoredPolicy returns a stored policy (linearizable).
func (s *Store) StoredPolicy(ctx context.Context, name string) (*meta.Policy, error) {
	var p meta.Policy
	if err := s.read(ctx, meta.IAMPolicy, name, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Policies returns every stored policy (linearizable).
func (s *Store) Policies(ctx context.Context) ([]meta.Policy, error) {
	return list[meta.Policy](ctx, s, meta.IAMPolicy)
}

// DeletePolicy deletes a stored policy that nothing has attached.
func (s *Store) DeletePolicy(ctx context.Context, name string) error {
	if IsBuiltin(name) {
		return ErrBuiltinPolicy
	}
	return s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMPolicy, Delete: true, Name: name})
}

// checkPolicyExists refuses to attach a name that is neither built-in nor
// stored. (A stored policy deleted concurrently leaves a dangling name,
// which grants nothing.)
func (s *Store) checkPolicyExists(ctx context.Context, name string) error {
	if IsBuiltin(name) {
		_, err := Builtin(name)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrNoSuchPolicy, err)
		}
		return nil
	}
	if _, err := s.StoredPolicy(ctx, name); err != nil {
		if errors.Is(err, meta.ErrIAMNotFound) {
			return fmt.Errorf("%w: %q", ErrNoSuchPolicy, name)
		}
		return err
	}
	return nil
}

// --- the seed's credentials API ---

// CreateCredential implements POST /admin/credentials: a new access key
// with "read" and/or "write" permission, on every bucket or only the
// named ones. It makes a user named after the key holding the matching
// built-in policies.
func (s *Store) CreateCredential(ctx context.Context, permissions, buckets []string, opts KeyOptions) (*NewKey, error) {
	var base []string
	read, write := false, false
	for _, p := range permissions {
		switch p {
		case "read":
			read = true
		case "write":
			write = true
		default:
			return nil, fmt.Errorf("%w: permission %q (want read or write)", ErrInvalidName, p)
		}
	}
	switch {
	case read && write:
		base = []string{"readwrite"}
	case read:
		base = []string{"readonly"}
	case write:
		base = []string{"writeonly"}
	default:
		return nil, fmt.Errorf("%w: at least one permission (read, write) is needed", ErrInvalidName)
	}
	if len(buckets) > MaxAttachedPolicies {
		return nil, fmt.Errorf("%w: at most %d buckets per credential", ErrLimit, MaxAttachedPolicies)
	}
	var policies []string
	if len(buckets) == 0 {
		policies = base
	}
	for _, b := range buckets {
		if !validBucketPattern(b) {
			return nil, fmt.Errorf("%w: bucket %q", ErrInvalidName, b)
		}
		policies = append(policies, base[0]+":"+b)
	}
	// The user takes the key's ID as its name; the key is made in a second
	// command, and the user is deleted again if that fails.
	ak := newAccessKeyID()
	u := &meta.User{Name: ak, Created: s.now().UnixNano(), Policies: policies, Credential: true}
	if err := s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMUser, Create: true, User: u}); err != nil {
		return nil, err
	}
	secret := newSecret()
	enc, err := s.encrypt(ak, secret)
	if err == nil {
		k := &meta.AccessKey{AccessKey: ak, User: ak, Secret: enc, Created: s.now().UnixNano(), Description: opts.Description}
		if !opts.Expires.IsZero() {
			k.Expires = opts.Expires.UnixNano()
		}
		err = s.propose(ctx, &meta.IAMCommand{Kind: meta.IAMKey, Create: true, Key: k})
	}
	if err != nil {
		s.DeleteUser(context.WithoutCancel(ctx), ak)
		return nil, err
	}
	return &NewKey{AccessKey: ak, SecretKey: secret, User: ak, Description: opts.Description, Expires: opts.Expires}, nil
}

// DeleteCredential implements DELETE /admin/credentials/{access_key}: it
// deletes the key, and the user too when the key was made by
// CreateCredential.
func (s *Store) DeleteCredential(ctx context.Context, accessKey string) error {
	var k meta.AccessKey
	if err := s.read(ctx, meta.IAMKey, accessKey, &k); err != nil {
		return err
	}
	var u meta.User
	if err := s.read(ctx, meta.IAMUser, k.User, &u); err == nil && u.Credential && u.Name == accessKey {
		return s.DeleteUser(ctx, u.Name)
	}
	return s.DeleteKey(ctx, accessKey)
}

func dedup(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// Attachment limits, as AWS's defaults: policies attached to one user or
// group, groups one user belongs to.
const (
	MaxAttachedPolicies = 10
	MaxGroupsPerUser    = 10
)

// ErrLimit refuses an attachment or membership beyond the limits.
var ErrLimit = errors.New("limit exceeded")

func toggleLimited(xs []string, x string, on bool, max int, what string) ([]string, error) {
	out := toggle(xs, x, on)
	if len(out) > max {
		return xs, fmt.Errorf("%w: at most %d %s", ErrLimit, max, what)
	}
	return out, nil
}

func toggle(xs []string, x string, on bool) []string {
	i := slices.Index(xs, x)
	switch {
	case on && i < 0:
		return append(xs, x)
	case !on && i >= 0:
		return slices.Delete(xs, i, i+1)
	}
	return xs
}

func compactJSON(doc []byte) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SecretKey implements auth.Credentials for callers without a context;
// the Verifier uses LookupSecret.
func (s *Store) SecretKey(accessKey string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	secret, err := s.LookupSecret(ctx, accessKey)
	return secret, err == nil
}
