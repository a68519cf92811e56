package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"strconv"
	"testing"
)

func TestHMACPaddedMatchesCryptoHMAC(t *testing.T) {
	key := deriveSigningKey("secret", "20240101", "us-east-1")
	for _, msg := range []string{"", "a", "AWS4-HMAC-SHA256\n20240101T000000Z\n", string(make([]byte, 300))} {
		buf := append(make([]byte, sha256.BlockSize), msg...)
		m := hmac.New(sha256.New, key[:])
		m.Write([]byte(msg))
		if got, want := hmacPadded(&key, buf), m.Sum(nil); string(got[:]) != string(want) {
			t.Fatalf("hmacPadded(%q) = %x, want %x", msg, got, want)
		}
	}
}

func TestSigningKeyCacheBounded(t *testing.T) {
	var c keyCache
	for i := range keyCacheSize + 50 {
		k := c.get("secret", "20240101", string(rune('a'+i%26))+strconv.Itoa(i))
		if k != deriveSigningKey("secret", "20240101", string(rune('a'+i%26))+strconv.Itoa(i)) {
			t.Fatal("cached key differs from derived key")
		}
	}
	if len(c.m) > keyCacheSize {
		t.Fatalf("cache holds %d keys, bound is %d", len(c.m), keyCacheSize)
	}
}
