package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// keyCacheSize bounds the signing key cache. A key is valid for one
// (secret, day, region), so a server sees about one per active access key
// per day; the bound only matters against a flood of distinct keys.
const keyCacheSize = 1024

type keyCacheKey struct{ secret, date, region string }

// keyCache remembers derived signing keys: deriving one costs four HMACs,
// more than verifying the signature itself. The zero value is ready.
type keyCache struct {
	mu sync.Mutex
	m  map[keyCacheKey][32]byte
}

// get returns the signing key for (secret, date, region, "s3").
func (c *keyCache) get(secret, date, region string) [32]byte {
	k := keyCacheKey{secret, date, region}
	c.mu.Lock()
	key, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return key
	}
	key = deriveSigningKey(secret, date, region)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[keyCacheKey][32]byte)
	}
	if len(c.m) >= keyCacheSize {
		// Evict an arbitrary entry (map order is random): simple, and
		// stale days' keys are as likely to go as any other.
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = key
	c.mu.Unlock()
	return key
}

// deriveSigningKey computes
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), "s3"), "aws4_request").
func deriveSigningKey(secret, date, region string) [32]byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k[:], []byte(region))
	k = hmacSHA256(k[:], []byte(serviceS3))
	return hmacSHA256(k[:], []byte(scopeTerminal))
}

func hmacSHA256(key, msg []byte) [32]byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// hmacPadded returns HMAC-SHA256(key, buf[64:]), using buf[:64] as scratch.
// It is RFC 2104 spelt out: crypto/hmac allocates two hash states per use,
// and this runs once per request.
func hmacPadded(key *[32]byte, buf []byte) [32]byte {
	const ipad, opad = 0x36, 0x5c
	var outer [sha256.BlockSize + sha256.Size]byte
	for i := range sha256.BlockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		buf[i] = k ^ ipad
		outer[i] = k ^ opad
	}
	inner := sha256.Sum256(buf)
	copy(outer[sha256.BlockSize:], inner[:])
	return sha256.Sum256(outer[:])
}
