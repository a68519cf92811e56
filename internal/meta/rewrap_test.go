package meta

import "testing"

func TestSplitVersionKey(t *testing.T) {
	for _, key := range []string{"k", "a/b/c", "with\x00nul", "\x00", "end\x00"} {
		b, k, ok := splitVersionKey(currentKey(3, "bkt", key)[10:], false)
		if !ok || b != "bkt" || k != key {
			t.Errorf("current %q: %q %q %v", key, b, k, ok)
		}
		b, k, ok = splitVersionKey(noncurrentKey(3, "bkt", key, 0x0100000000000001)[10:], true)
		if !ok || b != "bkt" || k != key {
			t.Errorf("noncurrent %q: %q %q %v", key, b, k, ok)
		}
	}
	if _, _, ok := splitVersionKey([]byte("no-separator"), false); ok {
		t.Error("a key without a bucket separator parsed")
	}
}
