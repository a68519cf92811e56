package s3api

import (
	"net/http"
	"strings"

	"github.com/anode/anode/internal/s3err"
)

// refuseEncryptionHeaders refuses any request that asks for server-side
// encryption (SSE-S3, SSE-KMS, SSE-C, or the SSE-C key of a copy source).
// Storing such an object in clear while the client believes it encrypted
// would be a lie, so until a mode is implemented its headers are refused
// with NotImplemented, AWS's answer to "a header you provided implies
// functionality that is not implemented".
func refuseEncryptionHeaders(h http.Header) error {
	for name := range h {
		n := strings.ToLower(name)
		if strings.HasPrefix(n, "x-amz-server-side-encryption") ||
			strings.HasPrefix(n, "x-amz-copy-source-server-side-encryption") {
			return s3err.NotImplemented.WithMessage("Server-side encryption is not implemented (header %s); nothing was stored.", n)
		}
	}
	return nil
}
