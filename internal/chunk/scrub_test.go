package chunk

import (
	"context"
	"errors"
	"os"
	"testing"
)

func TestScrubFindsCorruptChunk(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	var hs []Hash
	for _, d := range []string{"first chunk", "second chunk", "third chunk"} {
		hs = append(hs, mustPut(t, s, []byte(d)))
	}
	bad := hs[1]
	corrupt(t, s, bad)

	checked := map[Hash]error{}
	if err := s.Scrub(context.Background(), func(h Hash, _ int64, err error) { checked[h] = err }); err != nil {
		t.Fatal(err)
	}
	if len(checked) != 3 {
		t.Fatalf("Scrub checked %d chunks, want 3", len(checked))
	}
	for h, err := range checked {
		if h == bad && !errors.Is(err, ErrCorrupt) {
			t.Errorf("Scrub reported %v for the damaged chunk, want ErrCorrupt", err)
		}
		if h != bad && err != nil {
			t.Errorf("Scrub reported %v for a good chunk", err)
		}
	}
	if s.Has(bad) {
		t.Error("damaged chunk not quarantined")
	}
	if q, _ := os.ReadDir(s.quarantineDir); len(q) != 1 {
		t.Errorf("quarantine holds %d files, want 1", len(q))
	}
	wantStats(t, s, 2, int64(len("first chunk")+len("third chunk")))

	n := 0
	s.Scrub(context.Background(), func(h Hash, _ int64, err error) {
		n++
		if err != nil {
			t.Errorf("second scrub: %s: %v", h, err)
		}
	})
	if n != 2 {
		t.Errorf("second scrub checked %d chunks, want 2", n)
	}
}

func TestScrubStopsWhenCancelled(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	mustPut(t, s, []byte("a"))
	mustPut(t, s, []byte("b"))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := s.Scrub(ctx, func(Hash, int64, error) { n++; cancel() })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("Scrub = %v after %d chunks, want context.Canceled after 1", err, n)
	}
}
