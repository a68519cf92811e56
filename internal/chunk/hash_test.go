package chunk

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSumKnownVector(t *testing.T) {
	// FIPS 180-2 test vector for "abc".
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := Sum([]byte("abc")).String(); got != want {
		t.Fatalf("Sum(abc) = %s, want %s", got, want)
	}
}

func TestParseHash(t *testing.T) {
	h := Sum([]byte("hello"))
	got, err := ParseHash(h.String())
	if err != nil || got != h {
		t.Fatalf("ParseHash(%s) = %s, %v; want round trip", h, got, err)
	}
	upper, err := ParseHash(strings.ToUpper(h.String()))
	if err != nil || upper != h {
		t.Fatalf("ParseHash(upper case) = %s, %v; want %s", upper, err, h)
	}
	for _, bad := range []string{"", "abc", h.String()[:63], h.String() + "0", strings.Repeat("zz", 32)} {
		if _, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) succeeded, want error", bad)
		}
	}
}

func TestHashJSON(t *testing.T) {
	in := map[string]Hash{"h": Sum([]byte("x"))}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), in["h"].String()) {
		t.Fatalf("JSON %s does not hold the hex hash", b)
	}
	var out map[string]Hash
	if err := json.Unmarshal(b, &out); err != nil || out["h"] != in["h"] {
		t.Fatalf("JSON round trip = %v, %v; want %v", out, err, in)
	}
}
