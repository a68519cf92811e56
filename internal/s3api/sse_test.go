package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"testing"
)

// FuzzCustomerKey: any SSE-C header values are either refused or give a
// 32-byte key whose MD5 is the one sent; nothing panics.
func FuzzCustomerKey(f *testing.F) {
	h := ssecHeaders()
	f.Add(h.Get(hdrSSECAlgo), h.Get(hdrSSECKey), h.Get(hdrSSECKeyMD5))
	f.Add("AES256", "", "")
	f.Add("", "a2V5", "bWQ1")
	f.Fuzz(func(t *testing.T, algo, key, sum string) {
		hh := http.Header{}
		hh.Set(hdrSSECAlgo, algo)
		hh.Set(hdrSSECKey, key)
		hh.Set(hdrSSECKeyMD5, sum)
		k, gotSum, err := customerKey(hh, hdrSSECAlgo, hdrSSECKey, hdrSSECKeyMD5)
		if err != nil || k == nil {
			return
		}
		want := md5.Sum(k)
		if len(k) != 32 || gotSum != base64.StdEncoding.EncodeToString(want[:]) || algo != "AES256" {
			t.Fatalf("accepted key %x, md5 %q, algo %q", k, gotSum, algo)
		}
	})
}
