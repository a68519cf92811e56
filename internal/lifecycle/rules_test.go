package lifecycle

import (
	"testing"
	"time"

	"github.com/anode/anode/internal/meta"
)

var day = Clock{Day: 24 * time.Hour}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestExpiryRoundsUpToMidnight: as in S3, Days counts from the write and
// rounds up to the next midnight UTC.
func TestExpiryRoundsUpToMidnight(t *testing.T) {
	cfg := &Config{Rules: []Rule{{ID: "r", Enabled: true, ExpirationDays: 1}}}
	v := &meta.Version{Modified: at("2026-03-01T10:30:00Z").UnixNano()}
	got, id, ok := cfg.Expiry(day, "k", v)
	if !ok || id != "r" || !got.Equal(at("2026-03-03T00:00:00Z")) {
		t.Fatalf("expiry %v %q %v, want 2026-03-03T00:00:00Z", got, id, ok)
	}
	short := Clock{Day: time.Second}
	got, _, _ = cfg.Expiry(short, "k", &meta.Version{Modified: time.Unix(100, 5).UnixNano()})
	if !got.Equal(time.Unix(102, 0)) {
		t.Fatalf("1-second day: %v, want 102s", got)
	}
}

// TestFilters: prefix, tags, sizes, and their conjunction.
func TestFilters(t *testing.T) {
	f := Filter{Prefix: "logs/", Tags: map[string]string{"t": "1"}, SizeGreaterThan: 10, HasSizeGreaterThan: true, SizeLessThan: 100}
	cases := []struct {
		key  string
		v    meta.Version
		want bool
	}{
		{"logs/a", meta.Version{Size: 50, Tags: map[string]string{"t": "1", "x": "y"}}, true},
		{"data/a", meta.Version{Size: 50, Tags: map[string]string{"t": "1"}}, false},
		{"logs/a", meta.Version{Size: 50, Tags: map[string]string{"t": "2"}}, false},
		{"logs/a", meta.Version{Size: 50}, false},
		{"logs/a", meta.Version{Size: 10, Tags: map[string]string{"t": "1"}}, false},
		{"logs/a", meta.Version{Size: 100, Tags: map[string]string{"t": "1"}}, false},
	}
	for _, c := range cases {
		if got := f.matches(c.key, &c.v); got != c.want {
			t.Errorf("%s %+v: match %v, want %v", c.key, c.v, got, c.want)
		}
	}
}

// TestDecide: which versions of one key the rules act on.
func TestDecide(t *testing.T) {
	clk := Clock{Day: time.Second}
	now := time.Unix(1000, 0)
	cfg := &Config{Rules: []Rule{
		{ID: "nc", Enabled: true, NoncurrentDays: 10, NewerNoncurrentVersions: 1},
		{ID: "dm", Enabled: true, ExpiredObjectDeleteMarker: true},
		{ID: "off", Enabled: false, ExpirationDays: 1},
	}}
	sec := func(s int64) int64 { return time.Unix(s, 0).UnixNano() }
	kv := meta.KeyVersions{Key: "k",
		Current: &meta.Version{Seq: 4, VersionID: "4", Modified: sec(995)},
		Noncurrent: []*meta.Version{
			{Seq: 3, VersionID: "3", Modified: sec(900)}, // newest noncurrent: kept by NewerNoncurrentVersions
			{Seq: 2, VersionID: "2", Modified: sec(800)}, // noncurrent since 900: due at 910
			{Seq: 1, VersionID: "1", Modified: sec(100)}, // noncurrent since 800: due
		}}
	acts := decide(cfg, clk, kv, now)
	if len(acts) != 2 || acts[0].versionID != "2" || acts[1].versionID != "1" {
		t.Fatalf("actions %+v, want versions 2 and 1 removed", acts)
	}
	// A version noncurrent for less than NoncurrentDays stays.
	kv.Noncurrent[1].Modified = sec(100)
	kv.Noncurrent[0].Modified = sec(995)
	acts = decide(cfg, clk, kv, now)
	if len(acts) != 1 || acts[0].versionID != "1" {
		t.Fatalf("actions %+v, want only version 1 removed", acts)
	}
	// A lone delete marker goes; one with versions behind it stays.
	marker := meta.KeyVersions{Key: "m", Current: &meta.Version{Seq: 9, VersionID: "9", DeleteMarker: true}}
	if acts := decide(cfg, clk, marker, now); len(acts) != 1 || acts[0].seq != 9 {
		t.Fatalf("lone marker: %+v", acts)
	}
	marker.Noncurrent = []*meta.Version{{Seq: 8, VersionID: "8", Modified: sec(999)}}
	if acts := decide(cfg, clk, marker, now); len(acts) != 0 {
		t.Fatalf("marker with a version behind it: %+v", acts)
	}
	// A disabled rule does nothing.
	if acts := decide(&Config{Rules: cfg.Rules[2:]}, clk, meta.KeyVersions{Key: "k", Current: &meta.Version{Modified: 0}}, now); len(acts) != 0 {
		t.Fatalf("disabled rule acted: %+v", acts)
	}
}

func TestValidate(t *testing.T) {
	bad := []Config{
		{},
		{Rules: []Rule{{ID: "a", Enabled: true}}},
		{Rules: []Rule{{ID: "a", Enabled: true, ExpirationDays: 1}, {ID: "a", Enabled: true, ExpirationDays: 2}}},
		{Rules: []Rule{{Enabled: true, ExpirationDays: 1, ExpiredObjectDeleteMarker: true}}},
		{Rules: []Rule{{Enabled: true, ExpirationDate: 12345}}},
		{Rules: []Rule{{Enabled: true, AbortDays: 1, Filter: Filter{Tags: map[string]string{"a": "b"}}}}},
		{Rules: []Rule{{Enabled: true, NewerNoncurrentVersions: 2}}},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("config %d accepted: %+v", i, c)
		}
	}
	good := Config{Rules: []Rule{{ID: "a", Enabled: true, ExpirationDays: 1, NoncurrentDays: 2, AbortDays: 3}}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
}
