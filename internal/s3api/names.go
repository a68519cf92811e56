package s3api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"

	"github.com/anode/anode/internal/s3err"
)

// checkBucketName applies the S3 bucket naming rules for general purpose
// buckets: 3 to 63 characters of lower-case letters, digits, '.' and '-',
// beginning and ending with a letter or digit, not an IPv4 address, no two
// adjacent periods, and none of the prefixes and suffixes AWS reserves.
// Names that break them are refused, so that every bucket also works in
// virtual-host style and in DNS.
func checkBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return s3err.InvalidBucketName.WithMessage("The specified bucket is not valid: bucket names must be between 3 and 63 characters long.")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return s3err.InvalidBucketName.WithMessage("The specified bucket is not valid: bucket names can consist only of lowercase letters, numbers, periods (.), and hyphens (-).")
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return s3err.InvalidBucketName.WithMessage("The specified bucket is not valid: bucket names must begin and end with a letter or number.")
	}
	if strings.Contains(name, "..") {
		return s3err.InvalidBucketName.WithMessage("The specified bucket is not valid: bucket names must not contain two adjacent periods.")
	}
	if addr, err := netip.ParseAddr(name); err == nil && addr.Is4() {
		return s3err.InvalidBucketName.WithMessage("The specified bucket is not valid: bucket names must not be formatted as an IP address.")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return s3err.InvalidBucketName.WithMessage("The specified bucket is not valid: bucket names must not start with %q.", p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return s3err.InvalidBucketName.WithMessage("The specified bucket is not valid: bucket names must not end with %q.", s)
		}
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// ownerOf returns the owner S3 reports for an access key: a stable
// canonical ID (hex SHA-256 of the key, 64 characters like AWS's) and the
// access key as display name.
func ownerOf(accessKey string) owner {
	sum := sha256.Sum256([]byte(accessKey))
	return owner{ID: hex.EncodeToString(sum[:]), DisplayName: accessKey}
}
