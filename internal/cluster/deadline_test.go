package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	pb "go.etcd.io/raft/v3/raftpb"
)

// countingSM records the commands it applies.
type countingSM struct {
	mu      sync.Mutex
	applied []string
}

func (c *countingSM) Apply(_ *pebble.Batch, _ uint64, cmd []byte) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applied = append(c.applied, string(cmd))
	return string(cmd)
}
func (c *countingSM) Snapshot(pebble.Reader) ([]byte, error) { return nil, nil }
func (c *countingSM) Restore(*pebble.Batch, []byte) error    { return nil }
func (c *countingSM) has(cmd string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.applied {
		if a == cmd {
			return true
		}
	}
	return false
}

type quietPebble struct{}

func (quietPebble) Infof(string, ...any)  {}
func (quietPebble) Errorf(string, ...any) {}
func (quietPebble) Fatalf(format string, args ...any) {
	panic(format)
}

func startHost(t *testing.T) (*Host, *countingSM) {
	t.Helper()
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quietPebble{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := NewHost(Config{NodeID: 1, DB: db, TickInterval: 10 * time.Millisecond})
	sm := &countingSM{}
	if err := h.AddGroup(1, []uint64{1}, nil, sm); err != nil {
		t.Fatal(err)
	}
	h.Start()
	t.Cleanup(h.Stop)
	// Until the group has elected itself, raft drops proposals: retry.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := h.Propose(ctx, 1, []byte("hello"))
		cancel()
		if err == nil {
			return h, sm
		}
		if time.Now().After(deadline) {
			t.Fatalf("first proposal: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestForwardedProposalExpires: a proposal forwarded to the leader (a
// MsgProp, as a follower sends it) whose deadline passed while it was on
// its way is dropped before the leader steps it: it never enters the log.
// A fresh one is appended and applied. Without the drop in step, the
// expired proposal applies and the test fails.
func TestForwardedProposalExpires(t *testing.T) {
	h, sm := startHost(t)
	prop := func(cmd string, deadline time.Time) GroupMessage {
		return GroupMessage{Group: 1, Msg: pb.Message{Type: pb.MsgProp, From: 2, To: 1,
			Entries: []pb.Entry{{Data: encodeEntry(7, deadline, []byte(cmd))}}}}
	}
	h.Deliver([]GroupMessage{prop("late", time.Now().Add(-time.Second)), prop("fresh", time.Now().Add(time.Minute))})
	deadline := time.Now().Add(10 * time.Second)
	for !sm.has("fresh") {
		if time.Now().After(deadline) {
			t.Fatal("the fresh forwarded proposal was never applied")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if sm.has("late") {
		t.Fatal("a forwarded proposal past its deadline was appended and applied")
	}
}

// TestLocalProposalExpires: a proposal whose deadline passes before the
// loop takes it is dropped with ErrProposalExpired, not proposed.
func TestLocalProposalExpires(t *testing.T) {
	h, sm := startHost(t)
	// Hand the loop a proposal already past its deadline, as one that sat
	// in the queue would be.
	p := &proposal{gid: 1, data: encodeEntry(8, time.Now().Add(-time.Millisecond), []byte("queued too long")),
		deadline: time.Now().Add(-time.Millisecond), errc: make(chan error, 1)}
	h.propc <- p
	if err := <-p.errc; !errors.Is(err, ErrProposalExpired) {
		t.Fatalf("expired proposal: %v, want ErrProposalExpired", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.Propose(ctx, 1, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if sm.has("queued too long") {
		t.Fatal("an expired proposal was applied")
	}
}

// TestEntryEncoding: entries with and without a deadline round-trip, and
// entries written before deadlines existed still decode.
func TestEntryEncoding(t *testing.T) {
	d := time.Unix(0, 1234567890)
	id, dl, cmd, ok := decodeEntry(encodeEntry(42, d, []byte("x")))
	if !ok || id != 42 || dl != d.UnixNano() || string(cmd) != "x" {
		t.Fatalf("with deadline: %d %d %q %v", id, dl, cmd, ok)
	}
	id, dl, cmd, ok = decodeEntry(encodeEntry(43, time.Time{}, []byte("y")))
	if !ok || id != 43 || dl != 0 || string(cmd) != "y" {
		t.Fatalf("without deadline: %d %d %q %v", id, dl, cmd, ok)
	}
	if _, _, _, ok := decodeEntry(nil); ok {
		t.Fatal("an empty entry decodes as a proposal")
	}
}

// TestQueuedProposalExpires: a forwarded proposal that waited in a peer's
// send queue past its deadline is not sent; other messages and live
// proposals are, and the message the caller holds is not changed.
//
// Shown to fail with the protection removed: with sendLoop not calling
// dropExpired (dropExpired returning its batch as is), the expired
// proposal is still in the batch.
func TestQueuedProposalExpires(t *testing.T) {
	now := time.Now()
	late := pb.Entry{Type: pb.EntryNormal, Data: encodeEntry(1, now.Add(-time.Second), []byte("late"))}
	live := pb.Entry{Type: pb.EntryNormal, Data: encodeEntry(2, now.Add(time.Minute), []byte("live"))}
	held := []pb.Entry{late}
	batch := []GroupMessage{
		{Group: 1, Msg: pb.Message{Type: pb.MsgProp, Entries: held}},
		{Group: 2, Msg: pb.Message{Type: pb.MsgProp, Entries: []pb.Entry{late, live}}},
		{Group: 3, Msg: pb.Message{Type: pb.MsgHeartbeat}},
	}
	got := dropExpired(batch, now)
	if len(got) != 2 || got[0].Group != 2 || got[1].Group != 3 {
		t.Fatalf("kept %+v, want the live proposal of group 2 and the heartbeat", got)
	}
	if len(got[0].Msg.Entries) != 1 || string(got[0].Msg.Entries[0].Data) != string(live.Data) {
		t.Fatalf("group 2 kept entries %v, want only the live one", got[0].Msg.Entries)
	}
	if string(held[0].Data) != string(late.Data) {
		t.Fatal("dropExpired changed the entries the caller holds")
	}
}
