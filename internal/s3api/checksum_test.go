package s3api

import (
	"encoding/base64"
	"encoding/hex"
	"testing"
)

// TestComputeChecksum checks each algorithm against its published check
// value (the checksum of "123456789").
func TestComputeChecksum(t *testing.T) {
	tests := []struct{ algo, hex string }{
		{"CRC32", "cbf43926"},
		{"CRC32C", "e3069283"},
		{"CRC64NVME", "ae8b14860a799888"},
		{"SHA1", "f7c3bc1d808e04732adf679965ccc34ca7ae3441"},
		{"SHA256", "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"},
	}
	for _, tt := range tests {
		want, _ := hex.DecodeString(tt.hex)
		if got := computeChecksum(tt.algo, []byte("123456789")); got != base64.StdEncoding.EncodeToString(want) {
			t.Errorf("%s = %s, want %s", tt.algo, got, base64.StdEncoding.EncodeToString(want))
		}
	}
	if computeChecksum("MD5", nil) != "" {
		t.Error("unknown algorithm produced a checksum")
	}
}
