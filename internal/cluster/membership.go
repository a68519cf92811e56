package cluster

import (
	"fmt"
	"sort"
	"sync"
)

// Node is a member of the cluster: its raft ID and its cluster address.
type Node struct {
	ID   uint64 `json:"id"`
	Addr string `json:"addr"`
}

// Membership is the set of nodes placement is computed over.
type Membership struct {
	mu    sync.RWMutex
	nodes []Node
}

// NewMembership returns a membership of the given nodes.
func NewMembership(nodes []Node) *Membership {
	m := &Membership{}
	m.Set(nodes)
	return m
}

// InitialMembers turns cluster.initial_members into nodes: the i-th address
// (counting from 1) is node i. Every member is started with the same list
// and its own node.id, so all agree on IDs without talking.
func InitialMembers(addrs []string) ([]Node, error) {
	seen := make(map[string]bool)
	nodes := make([]Node, len(addrs))
	for i, a := range addrs {
		if seen[a] {
			return nil, fmt.Errorf("cluster.initial_members lists %s twice", a)
		}
		seen[a] = true
		nodes[i] = Node{ID: uint64(i + 1), Addr: a}
	}
	return nodes, nil
}

// Set replaces the membership.
func (m *Membership) Set(nodes []Node) {
	n := append([]Node(nil), nodes...)
	sort.Slice(n, func(i, j int) bool { return n[i].ID < n[j].ID })
	m.mu.Lock()
	m.nodes = n
	m.mu.Unlock()
}

// Nodes returns the members in ID order.
func (m *Membership) Nodes() []Node {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]Node(nil), m.nodes...)
}

// IDs returns the members' IDs in order.
func (m *Membership) IDs() []uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ids := make([]uint64, len(m.nodes))
	for i, n := range m.nodes {
		ids[i] = n.ID
	}
	return ids
}

// Addr returns a member's address.
func (m *Membership) Addr(id uint64) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, n := range m.nodes {
		if n.ID == id {
			return n.Addr, true
		}
	}
	return "", false
}
