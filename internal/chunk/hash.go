package chunk

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// HashSize is the length of a Hash in bytes.
const HashSize = sha256.Size

// Hash is a chunk's identity: the SHA-256 of its bytes.
type Hash [HashSize]byte

// Sum returns the Hash of data.
func Sum(data []byte) Hash { return sha256.Sum256(data) }

// String returns h as 64 lower-case hex digits, the form used in file names.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash parses 64 hex digits as a Hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("chunk: parse hash %q: want %d hex digits, got %d", s, 2*HashSize, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("chunk: parse hash %q: %w", s, err)
	}
	return h, nil
}

// MarshalText encodes h as hex, so a Hash reads well in JSON and logs.
func (h Hash) MarshalText() ([]byte, error) {
	b := make([]byte, 2*HashSize)
	hex.Encode(b, h[:])
	return b, nil
}

// UnmarshalText decodes a Hash written by MarshalText.
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
