package object

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"strings"

	"github.com/minio/crc64nvme"

	"github.com/anode/anode/internal/s3err"
)

// Checksum algorithms S3 supports, by the names used in headers and XML.
const (
	CRC32     = "CRC32"
	CRC32C    = "CRC32C"
	CRC64NVME = "CRC64NVME"
	SHA1      = "SHA1"
	SHA256    = "SHA256"
)

// ChecksumAlgorithms lists the supported algorithms.
var ChecksumAlgorithms = []string{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// NewChecksum returns a hash for a checksum algorithm name (any case).
func NewChecksum(algo string) (hash.Hash, error) {
	switch strings.ToUpper(algo) {
	case CRC32:
		return crc32.NewIEEE(), nil
	case CRC32C:
		return crc32.New(castagnoli), nil
	case CRC64NVME:
		return crc64nvme.New(), nil
	case SHA1:
		return sha1.New(), nil
	case SHA256:
		return sha256.New(), nil
	}
	return nil, s3err.InvalidRequest.WithMessage("Invalid checksum algorithm %q.", algo)
}

// EncodeChecksum renders a digest as S3 does: base64 of the big-endian bytes.
func EncodeChecksum(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }
