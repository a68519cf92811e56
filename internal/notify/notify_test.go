package notify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	cfg := &BucketConfig{Rules: []Rule{
		{ID: "a", ARN: WebhookARN, Events: []string{"s3:ObjectCreated:*"}, Prefix: "img/", Suffix: ".jpg"},
		{ID: "b", ARN: WebhookARN, Events: []string{"s3:ObjectRemoved:Delete"}},
	}}
	cases := []struct {
		name, key string
		want      int
	}{
		{ObjectCreatedPut, "img/x.jpg", 1},
		{ObjectCreatedComplete, "img/x.jpg", 1},
		{ObjectCreatedPut, "img/x.png", 0},
		{ObjectCreatedPut, "doc/x.jpg", 0},
		{ObjectRemovedDelete, "anything", 1},
		{ObjectRemovedDeleteMarker, "anything", 0},
	}
	for _, c := range cases {
		if got := len(cfg.Match(c.name, c.key)); got != c.want {
			t.Errorf("%s %s: %d rules, want %d", c.name, c.key, got, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	targets := map[string]bool{WebhookARN: true}
	bad := []BucketConfig{
		{Rules: []Rule{{ID: "a", ARN: RedisARN, Events: []string{"s3:ObjectCreated:*"}}}},
		{Rules: []Rule{{ID: "a", ARN: WebhookARN, Events: []string{"ObjectCreated:*"}}}},
		{Rules: []Rule{{ID: "a", ARN: WebhookARN}}},
		{Rules: []Rule{{ID: "a", ARN: WebhookARN, Events: []string{"s3:ObjectCreated:*"}}, {ID: "a", ARN: WebhookARN, Events: []string{"s3:ObjectRemoved:*"}}}},
		{Rules: []Rule{{ID: "a", ARN: WebhookARN, Events: []string{"s3:ObjectCreated:*"}, Prefix: "a/"}, {ID: "b", ARN: WebhookARN, Events: []string{"s3:ObjectCreated:Put"}, Prefix: "a/b"}}},
	}
	for i, c := range bad {
		if err := c.Validate(targets); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
	good := BucketConfig{Rules: []Rule{
		{ID: "a", ARN: WebhookARN, Events: []string{"s3:ObjectCreated:*"}, Prefix: "a/"},
		{ID: "b", ARN: WebhookARN, Events: []string{"s3:ObjectCreated:*"}, Prefix: "b/"},
	}}
	if err := good.Validate(targets); err != nil {
		t.Fatal(err)
	}
}

// flaky fails its first n sends, then records what it gets.
type flaky struct {
	mu   sync.Mutex
	fail int
	got  []string
}

func (f *flaky) Send(_ context.Context, msg []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return errors.New("down")
	}
	f.got = append(f.got, string(msg))
	return nil
}

func (f *flaky) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

// TestQueueSurvivesReopenInOrder: messages queued and not delivered are
// found again by a queue reopened on the same directory, and delivered in
// the order they were queued, after failed attempts.
func TestQueueSurvivesReopenInOrder(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := openQueue(dir, "t1", &flaky{}, 10, log)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"1", "2", "3"} {
		if err := q.put([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	// Never started: "restart".
	target := &flaky{fail: 2}
	q2, err := openQueue(dir, "t1", target, 10, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := q2.put([]byte("4")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q2.run(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for len(target.messages()) < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := target.messages()
	if len(got) != 4 || got[0] != "1" || got[1] != "2" || got[2] != "3" || got[3] != "4" {
		t.Fatalf("delivered %v, want [1 2 3 4]", got)
	}
	// A full queue refuses more.
	q3, _ := openQueue(t.TempDir(), "t2", &flaky{}, 1, log)
	q3.put([]byte("a"))
	if err := q3.put([]byte("b")); !errors.Is(err, errQueueFull) {
		t.Fatalf("full queue: %v", err)
	}
}
