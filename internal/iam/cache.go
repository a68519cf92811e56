package iam

import (
	"crypto/sha256"
	"sync"
)

// Policies are parsed on every request that needs them (a user's stored
// policies, a bucket's policy), which costs about 100 µs for a small
// document; Evaluate costs a few. ParseCached keeps the parsed form of
// recent documents, keyed by their bytes: a changed document is a new key,
// so the cache never serves a stale policy. A parsed Policy is never
// modified, so it is shared.

const policyCacheSize = 1024

type cacheKey struct {
	sum  [32]byte
	kind int
}

var policyCache struct {
	mu sync.Mutex
	m  map[cacheKey]*Policy
}

// ParseCached is Parse with a cache of recently parsed documents. Errors
// are not cached.
func ParseCached(doc []byte, kind int) (*Policy, error) {
	k := cacheKey{sha256.Sum256(doc), kind}
	policyCache.mu.Lock()
	p, ok := policyCache.m[k]
	policyCache.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := Parse(doc, kind)
	if err != nil {
		return nil, err
	}
	policyCache.mu.Lock()
	if policyCache.m == nil {
		policyCache.m = make(map[cacheKey]*Policy)
	}
	if len(policyCache.m) >= policyCacheSize {
		for old := range policyCache.m { // evict an arbitrary entry
			delete(policyCache.m, old)
			break
		}
	}
	policyCache.m[k] = p
	policyCache.mu.Unlock()
	return p, nil
}
