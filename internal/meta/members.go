package meta

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/s3err"
)

// The cluster's membership is kept by the system group, under
// 'm' 0 'n', as the list of nodes in ID order. Placement (which nodes hold
// which groups and chunks) is computed from it on every node.
const kindMembers = 'n'

func membersKey() []byte { return groupPrefix(SystemGroup, kindMembers) }

// lastIDKey holds the highest node ID ever given out.
func lastIDKey() []byte { return append(groupPrefix(SystemGroup, kindMembers), 'N') }

// changeMembers applies SetMembers (the initial members, written once by
// whichever node proposes it first), AddNode (a joining node gets the next
// free ID; an address already present keeps its ID) and RemoveNode.
func (sm *StateMachine) changeMembers(b *pebble.Batch, cmd *Command) (*Result, error) {
	var cur []cluster.Node
	found, err := getJSON(b, membersKey(), &cur)
	if err != nil {
		return nil, err
	}
	// IDs are never reused: raft must not mistake a new node for a removed
	// one that had the same ID (and acknowledged entries). lastID is the
	// highest ID ever a member.
	var lastID uint64
	if _, err := getJSON(b, lastIDKey(), &lastID); err != nil {
		return nil, err
	}
	for _, n := range cur {
		lastID = max(lastID, n.ID)
	}
	if err := setJSON(b, lastIDKey(), lastID); err != nil {
		return nil, err
	}
	switch cmd.Op {
	case OpSetMembers:
		if found {
			return &Result{Members: cur}, nil
		}
		cur = cmd.Members
	case OpAddNode:
		if !found {
			// The initial members are not recorded yet; numbering the new
			// node now would collide with them.
			return &Result{Err: s3err.ServiceUnavailable.WithMessage("the cluster's membership is not recorded yet; retry")}, nil
		}
		if len(cmd.Members) != 1 || cmd.Members[0].Addr == "" {
			return &Result{Err: s3err.InvalidArgument.WithMessage("AddNode needs one address")}, nil
		}
		next := lastID + 1
		for _, n := range cur {
			if n.Addr == cmd.Members[0].Addr {
				return &Result{Members: cur, Node: n}, nil
			}
		}
		node := cluster.Node{ID: next, Addr: cmd.Members[0].Addr}
		cur = append(cur, node)
		if err := setJSON(b, membersKey(), cur); err != nil {
			return nil, err
		}
		if err := setJSON(b, lastIDKey(), next); err != nil {
			return nil, err
		}
		return &Result{Members: cur, Node: node}, nil
	case OpRemoveNode:
		if !found {
			return &Result{Err: s3err.ServiceUnavailable.WithMessage("the cluster's membership is not recorded yet; retry")}, nil
		}
		if len(cmd.Members) != 1 {
			return &Result{Err: s3err.InvalidArgument.WithMessage("RemoveNode needs one node")}, nil
		}
		out := cur[:0:0]
		for _, n := range cur {
			if n.ID != cmd.Members[0].ID {
				out = append(out, n)
			}
		}
		if len(out) == len(cur) {
			return &Result{Err: s3err.InvalidArgument.WithMessage("node %d is not a member", cmd.Members[0].ID)}, nil
		}
		if len(out) == 0 {
			return &Result{Err: s3err.InvalidArgument.WithMessage("cannot remove the last node")}, nil
		}
		cur = out
	}
	return &Result{Members: cur}, setJSON(b, membersKey(), cur)
}

// LocalMembers returns the membership as this node has applied it, without
// a read barrier (nil before the system group wrote one).
func LocalMembers(r pebble.Reader) ([]cluster.Node, error) {
	var nodes []cluster.Node
	_, err := getJSON(r, membersKey(), &nodes)
	return nodes, err
}

// Members returns the membership (linearizable).
func (s *Store) Members(ctx context.Context) ([]cluster.Node, error) {
	if err := s.barrier(ctx, SystemGroup); err != nil {
		return nil, err
	}
	return LocalMembers(s.db)
}

// ChangeMembers proposes a membership command to the system group.
func (s *Store) ChangeMembers(ctx context.Context, op Op, nodes []cluster.Node) (*Result, error) {
	if op != OpSetMembers && op != OpAddNode && op != OpRemoveNode {
		return nil, fmt.Errorf("not a membership op: %v", op)
	}
	return s.Propose(ctx, SystemGroup, &Command{Op: op, Members: nodes})
}
