package s3api

import (
	"errors"
	"strings"
	"testing"

	"github.com/anode/anode/internal/s3err"
)

func TestCheckBucketName(t *testing.T) {
	valid := []string{
		"abc", "my-bucket", "my.bucket.name", "a1b2c3", "123", strings.Repeat("a", 63),
		"1.2.3", "192.168.5.4.5", "xn-a", "a-s3alia",
	}
	invalid := []string{
		"", "ab", strings.Repeat("a", 64), "MyBucket", "my_bucket", "-abc", "abc-", ".abc", "abc.",
		"a..b", "192.168.5.4", "xn--abc", "abc-s3alias", "abc--ol-s3", "sthree-abc", "a b c", "ab/c",
		"abcé",
	}
	for _, name := range valid {
		if err := checkBucketName(name); err != nil {
			t.Errorf("checkBucketName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range invalid {
		if err := checkBucketName(name); !errors.Is(err, s3err.InvalidBucketName) {
			t.Errorf("checkBucketName(%q) = %v, want InvalidBucketName", name, err)
		}
	}
}

func TestOwnerOf(t *testing.T) {
	a, b := ownerOf("AKIA1"), ownerOf("AKIA2")
	if len(a.ID) != 64 || a.ID == b.ID || a.DisplayName != "AKIA1" {
		t.Errorf("ownerOf: %+v, %+v", a, b)
	}
	if ownerOf("AKIA1") != a {
		t.Error("ownerOf is not stable")
	}
}
