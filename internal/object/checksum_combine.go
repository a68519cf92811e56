package object

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// CRC combination: the CRC of A‖B from crc(A), crc(B) and len(B), without
// reading the data again. A CompleteMultipartUpload with a FULL_OBJECT
// checksum derives the object's CRC from its parts' CRCs this way.
//
// A reflected CRC is a polynomial over GF(2) kept reduced modulo the
// generator; appending n zero bytes to A multiplies crc(A) by x^(8n). So
// crc(A‖B) = crc(A)·x^(8·len(B)) mod P  ⊕  crc(B), where the pre- and
// post-inversion both CRCs carry cancel out. x^(8n) is computed by
// square-and-multiply over the binary digits of n. (This is the method of
// zlib's crc32_combine, generalised to 64-bit CRCs.)
type crcParams struct {
	poly  uint64 // reflected generator polynomial
	width uint   // 32 or 64
}

var crcKinds = map[string]crcParams{
	CRC32:     {poly: 0xEDB88320, width: 32},
	CRC32C:    {poly: 0x82F63B78, width: 32},
	CRC64NVME: {poly: 0x9A6C9329AC4BC9B5, width: 64},
}

// isCRC reports whether algo is a CRC, whose checksums can be combined.
func isCRC(algo string) bool { _, ok := crcKinds[algo]; return ok }

// mulmod returns a·b modulo the generator, in the reflected representation
// (the highest bit is x^0).
func (p crcParams) mulmod(a, b uint64) uint64 {
	m := uint64(1) << (p.width - 1)
	var prod uint64
	for a != 0 {
		if a&m != 0 {
			prod ^= b
			a ^= m
		}
		m >>= 1
		if b&1 != 0 {
			b = b>>1 ^ p.poly
		} else {
			b >>= 1
		}
	}
	return prod
}

// xpow8n returns x^(8n) modulo the generator.
func (p crcParams) xpow8n(n uint64) uint64 {
	one := uint64(1) << (p.width - 1)
	result := one
	sq := one >> 8 // x^8: the reflected bit for x^k is width-1-k
	for n != 0 {
		if n&1 != 0 {
			result = p.mulmod(sq, result)
		}
		sq = p.mulmod(sq, sq)
		n >>= 1
	}
	return result
}

// combine returns crc(A‖B) given crc1 = crc(A), crc2 = crc(B), len2 = len(B).
func (p crcParams) combine(crc1, crc2 uint64, len2 int64) uint64 {
	return p.mulmod(p.xpow8n(uint64(len2)), crc1) ^ crc2
}

// decodeCRC reads a base64 CRC checksum as S3 sends it (big-endian).
func decodeCRC(p crcParams, s string) (uint64, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != int(p.width/8) {
		return 0, fmt.Errorf("bad checksum %q", s)
	}
	if p.width == 32 {
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

func encodeCRC(p crcParams, v uint64) string {
	if p.width == 32 {
		return EncodeChecksum(binary.BigEndian.AppendUint32(nil, uint32(v)))
	}
	return EncodeChecksum(binary.BigEndian.AppendUint64(nil, v))
}

// checksumPiece is one part's checksum and size.
type checksumPiece struct {
	sum  string // base64
	size int64
}

// fullObjectCRC combines the parts' CRCs into the CRC of the whole object.
func fullObjectCRC(algo string, parts []checksumPiece) (string, error) {
	p, ok := crcKinds[algo]
	if !ok {
		return "", fmt.Errorf("%s checksums cannot be combined", algo)
	}
	var crc uint64
	for i, part := range parts {
		c, err := decodeCRC(p, part.sum)
		if err != nil {
			return "", err
		}
		if i == 0 {
			crc = c
		} else {
			crc = p.combine(crc, c, part.size)
		}
	}
	return encodeCRC(p, crc), nil
}

// compositeChecksum is S3's checksum of a multipart object in COMPOSITE
// mode: the checksum of the concatenated binary part checksums, followed
// by "-" and the number of parts.
func compositeChecksum(algo string, parts []checksumPiece) (string, error) {
	h, err := NewChecksum(algo)
	if err != nil {
		return "", err
	}
	for _, part := range parts {
		b, err := base64.StdEncoding.DecodeString(part.sum)
		if err != nil {
			return "", fmt.Errorf("bad checksum %q", part.sum)
		}
		h.Write(b)
	}
	return fmt.Sprintf("%s-%d", EncodeChecksum(h.Sum(nil)), len(parts)), nil
}
