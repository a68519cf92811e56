package s3api

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"hash/crc32"
	"hash/crc64"
)

// crc64NVMETable is CRC-64/NVME (the polynomial 0xAD93D23594C93659,
// reflected), the table S3's CRC64NVME checksum uses.
var crc64NVMETable = crc64.MakeTable(0x9A6C9329AC4BC9B5)

// computeChecksum returns the base64 checksum of data with the named
// algorithm (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), as S3 sends it, or
// "" for an unknown algorithm. It is used for the small request bodies the
// API layer itself reads; object bodies are checked by the object service.
func computeChecksum(algorithm string, data []byte) string {
	var h hash.Hash
	switch algorithm {
	case "CRC32":
		h = crc32.NewIEEE()
	case "CRC32C":
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "CRC64NVME":
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], crc64.Checksum(data, crc64NVMETable))
		return base64.StdEncoding.EncodeToString(b[:])
	case "SHA1":
		h = sha1.New()
	case "SHA256":
		h = sha256.New()
	default:
		return ""
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
