package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Identity and access management records live in the system group, so
// that a key created, disabled or deleted through any node is seen by
// every node's next linearizable read. They are kept under
//
//	'm' 0 'I' kind name
//
// with kind 'U' (user), 'K' (access key), 'G' (group), 'P' (policy). The
// records are plain data: policy documents are stored as the JSON the
// operator gave (package iam parses and evaluates them), and secret keys
// only encrypted (package iam encrypts them before proposing; apply never
// sees a secret in clear).

const kindIAM = 'I'

// IAM record kinds.
const (
	IAMUser   byte = 'U'
	IAMKey    byte = 'K'
	IAMGroup  byte = 'G'
	IAMPolicy byte = 'P'
)

// User is an IAM user.
type User struct {
	Name     string   `json:"name"`
	Created  int64    `json:"created"` // unix nanoseconds
	Disabled bool     `json:"disabled,omitempty"`
	Policies []string `json:"policies,omitempty"` // attached policy names
	Groups   []string `json:"groups,omitempty"`   // groups the user is a member of
	// Credential marks a user made by the seed's POST /admin/credentials
	// for one access key; deleting that key deletes the user.
	Credential bool   `json:"credential,omitempty"`
	Rev        uint64 `json:"rev,omitempty"`
}

// AccessKey is one access key of a user. Secret is the secret key
// encrypted by package iam (AES-256-GCM, the access key ID as additional
// data).
type AccessKey struct {
	AccessKey   string `json:"ak"`
	User        string `json:"user"`
	Secret      []byte `json:"secret"`
	Created     int64  `json:"created"`
	Expires     int64  `json:"expires,omitempty"` // unix nanoseconds; 0 never
	Description string `json:"desc,omitempty"`
	Disabled    bool   `json:"disabled,omitempty"`
	Rev         uint64 `json:"rev,omitempty"`
}

// Group is a named set of users sharing attached policies. Membership is
// recorded on the users (User.Groups).
type Group struct {
	Name     string   `json:"name"`
	Created  int64    `json:"created"`
	Policies []string `json:"policies,omitempty"`
	Rev      uint64   `json:"rev,omitempty"`
}

// Policy is a named, stored identity policy document.
type Policy struct {
	Name     string          `json:"name"`
	Created  int64           `json:"created"`
	Document json.RawMessage `json:"doc"`
	Rev      uint64          `json:"rev,omitempty"`
}

// IAMCommand is the payload of an OpIAM command.
type IAMCommand struct {
	// Kind is the record kind (IAMUser, IAMKey, IAMGroup, IAMPolicy).
	Kind byte `json:"kind"`
	// Delete removes the record Name; otherwise the record in User, Key,
	// Group or Policy is written.
	Delete bool   `json:"del,omitempty"`
	Name   string `json:"name,omitempty"`
	// Create writes a record that must not exist yet; otherwise the record
	// must exist at revision Rev (compare-and-set, as for buckets) — except
	// policies, which Put replaces whatever their revision.
	Create bool   `json:"create,omitempty"`
	Rev    uint64 `json:"rev,omitempty"`

	User   *User      `json:"user,omitempty"`
	Key    *AccessKey `json:"key,omitempty"`
	Group  *Group     `json:"group,omitempty"`
	Policy *Policy    `json:"policy,omitempty"`
	// Replaces names an access key of the same user that a new key
	// replaces in the same command (key rotation).
	Replaces string `json:"replaces,omitempty"`
}

// Errors of refused IAM commands.
var (
	ErrIAMExists   = errors.New("entity already exists")
	ErrIAMNotFound = errors.New("no such entity")
	ErrIAMChanged  = errors.New("entity changed concurrently; retry")
	ErrIAMInUse    = errors.New("entity is in use")
	ErrIAMLimit    = fmt.Errorf("limit exceeded: a user has at most %d access keys", MaxKeysPerUser)
)

// MaxKeysPerUser bounds a user's access keys (AWS allows 2; several keys
// let applications rotate one at a time).
const MaxKeysPerUser = 10

func iamKey(kind byte, name string) []byte {
	k := append(groupPrefix(SystemGroup, kindIAM), kind)
	return append(k, name...)
}

func iamPrefix(kind byte) []byte { return append(groupPrefix(SystemGroup, kindIAM), kind) }

// applyIAM applies an OpIAM command to the system group.
func (sm *StateMachine) applyIAM(b *pebble.Batch, cmd *Command) (*Result, error) {
	c := cmd.IAM
	if c == nil || sm.gid != SystemGroup {
		return &Result{Err: fmt.Errorf("malformed IAM command")}, nil
	}
	if c.Delete {
		return sm.deleteIAM(b, c)
	}
	var name string
	var rec interface{ setRev(uint64) }
	switch c.Kind {
	case IAMUser:
		if c.User == nil {
			return &Result{Err: fmt.Errorf("malformed IAM command")}, nil
		}
		name, rec = c.User.Name, c.User
	case IAMKey:
		if c.Key == nil {
			return &Result{Err: fmt.Errorf("malformed IAM command")}, nil
		}
		name, rec = c.Key.AccessKey, c.Key
		// A key belongs to an existing user, which has at most
		// MaxKeysPerUser (a rotation replaces one, so it adds none).
		if ok, err := exists(b, iamKey(IAMUser, c.Key.User)); err != nil || !ok {
			return &Result{Err: ErrIAMNotFound}, err
		}
		if c.Create && c.Replaces == "" {
			n := 0
			err := eachIAM(b, IAMKey, func(_, v []byte) error {
				var ak AccessKey
				if err := json.Unmarshal(v, &ak); err != nil {
					return err
				}
				if ak.User == c.Key.User {
					n++
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			if n >= MaxKeysPerUser {
				return &Result{Err: ErrIAMLimit}, nil
			}
		}
	case IAMGroup:
		if c.Group == nil {
			return &Result{Err: fmt.Errorf("malformed IAM command")}, nil
		}
		name, rec = c.Group.Name, c.Group
	case IAMPolicy:
		if c.Policy == nil {
			return &Result{Err: fmt.Errorf("malformed IAM command")}, nil
		}
		name, rec = c.Policy.Name, c.Policy
	default:
		return &Result{Err: fmt.Errorf("unknown IAM record kind %q", c.Kind)}, nil
	}
	if name == "" {
		return &Result{Err: fmt.Errorf("malformed IAM command: empty name")}, nil
	}
	var cur struct {
		Rev uint64 `json:"rev"`
	}
	found, err := getJSON(b, iamKey(c.Kind, name), &cur)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Create && found:
		return &Result{Err: ErrIAMExists}, nil
	case c.Create:
		rec.setRev(0)
	case c.Kind == IAMPolicy:
		rec.setRev(cur.Rev + 1)
	case !found:
		return &Result{Err: ErrIAMNotFound}, nil
	case cur.Rev != c.Rev:
		return &Result{Err: ErrIAMChanged}, nil
	default:
		rec.setRev(cur.Rev + 1)
	}
	if c.Kind == IAMKey && c.Replaces != "" {
		var old AccessKey
		found, err := getJSON(b, iamKey(IAMKey, c.Replaces), &old)
		if err != nil {
			return nil, err
		}
		if !found || old.User != c.Key.User {
			return &Result{Err: ErrIAMNotFound}, nil
		}
		if err := b.Delete(iamKey(IAMKey, c.Replaces), nil); err != nil {
			return nil, err
		}
	}
	return &Result{}, setJSON(b, iamKey(c.Kind, name), rec)
}

func (u *User) setRev(r uint64)      { u.Rev = r }
func (k *AccessKey) setRev(r uint64) { k.Rev = r }
func (g *Group) setRev(r uint64)     { g.Rev = r }
func (p *Policy) setRev(r uint64)    { p.Rev = r }

// deleteIAM removes a record and what depends on it: a user's access
// keys go with the user, a group leaves its members' records. A policy
// still attached to a user or group is not deleted (ErrIAMInUse), as on
// AWS (DeleteConflict).
func (sm *StateMachine) deleteIAM(b *pebble.Batch, c *IAMCommand) (*Result, error) {
	key := iamKey(c.Kind, c.Name)
	if ok, err := exists(b, key); err != nil || !ok {
		return &Result{Err: ErrIAMNotFound}, err
	}
	switch c.Kind {
	case IAMUser:
		err := eachIAM(b, IAMKey, func(k []byte, v []byte) error {
			var ak AccessKey
			if err := json.Unmarshal(v, &ak); err != nil {
				return err
			}
			if ak.User == c.Name {
				return b.Delete(k, nil)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	case IAMGroup:
		err := eachIAM(b, IAMUser, func(k []byte, v []byte) error {
			var u User
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			kept := u.Groups[:0]
			for _, g := range u.Groups {
				if g != c.Name {
					kept = append(kept, g)
				}
			}
			if len(kept) == len(u.Groups) {
				return nil
			}
			u.Groups = kept
			u.Rev++
			return setJSON(b, k, &u)
		})
		if err != nil {
			return nil, err
		}
	case IAMPolicy:
		inUse := false
		for _, kind := range []byte{IAMUser, IAMGroup} {
			err := eachIAM(b, kind, func(_ []byte, v []byte) error {
				var rec struct {
					Policies []string `json:"policies"`
				}
				if err := json.Unmarshal(v, &rec); err != nil {
					return err
				}
				for _, p := range rec.Policies {
					inUse = inUse || p == c.Name
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		if inUse {
			return &Result{Err: ErrIAMInUse}, nil
		}
	}
	return &Result{}, b.Delete(key, nil)
}

func exists(r getter, key []byte) (bool, error) {
	_, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	closer.Close()
	return true, nil
}

// eachIAM calls fn for every record of a kind, in name order. The key and
// value are copies: fn may write to b.
func eachIAM(r pebble.Reader, kind byte, fn func(k, v []byte) error) error {
	p := iamPrefix(kind)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if err := fn(bytes.Clone(it.Key()), bytes.Clone(it.Value())); err != nil {
			return err
		}
	}
	return it.Error()
}

// SystemBarrier makes the reads of the system group that follow it
// linearizable (see barrier).
func (s *Store) SystemBarrier(ctx context.Context) error { return s.barrier(ctx, SystemGroup) }

// IAMGet reads one IAM record into v from this node's applied state; call
// SystemBarrier first for a linearizable read. It reports whether the
// record exists.
func (s *Store) IAMGet(kind byte, name string, v any) (bool, error) {
	return getJSON(s.db, iamKey(kind, name), v)
}

// IAMList calls fn with every record of a kind (JSON), in name order, from
// this node's applied state.
func (s *Store) IAMList(kind byte, fn func(v []byte) error) error {
	return eachIAM(s.db, kind, func(_, v []byte) error { return fn(v) })
}
