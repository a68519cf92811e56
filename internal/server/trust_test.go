package server

import (
	"strings"
	"testing"
	"time"
)

func TestJoinToken(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	fp := strings.Repeat("ab", 32)
	now := time.Unix(1_800_000_000, 0)
	tok := makeJoinToken(secret, fp, now.Add(time.Hour))
	if err := verifyJoinToken(secret, tok, now); err != nil {
		t.Fatalf("a fresh token: %v", err)
	}
	if got, _, err := parseJoinToken(tok); err != nil || got != fp {
		t.Fatalf("fingerprint %q (%v), want %q", got, err, fp)
	}
	if err := verifyJoinToken(secret, tok, now.Add(2*time.Hour)); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired token: %v, want expired", err)
	}
	if err := verifyJoinToken("another-secret-0123456789abcdef0123", tok, now); err == nil {
		t.Error("a token of another cluster was accepted")
	}
	parts := strings.Split(tok, ".")
	for i := 1; i < len(parts); i++ {
		mod := append([]string(nil), parts...)
		mod[i] = strings.Repeat("1", len(mod[i]))
		if err := verifyJoinToken(secret, strings.Join(mod, "."), now); err == nil {
			t.Errorf("a token with part %d changed was accepted", i)
		}
	}
	for _, bad := range []string{"", "anode-join-v1", "x.y.z", tok + ".extra"} {
		if err := verifyJoinToken(secret, bad, now); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestDerivedClusterIDIsStable(t *testing.T) {
	a := derivedClusterID("anode", nil)
	if a != derivedClusterID("anode", nil) || a == derivedClusterID("other", nil) {
		t.Fatal("the derived cluster ID is not a function of the name and members")
	}
}
