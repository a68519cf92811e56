package auth

import (
	"net/http"
	"strings"

	"github.com/anode/anode/internal/s3err"
)

var errAnonymousStreaming = s3err.InvalidRequest.WithMessage(
	"A signed aws-chunked payload (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) needs a signed request")

// Anonymous returns the payload of an unsigned request (IsAnonymous), for
// a caller that serves public buckets, framed as its x-amz-content-sha256
// says: absent or UNSIGNED-PAYLOAD, the body as is; a hash, the body
// checked against it; STREAMING-UNSIGNED-PAYLOAD-TRAILER, the aws-chunked
// body decoded (so that chunk framing is never stored as data). A signed
// streaming mode cannot be verified without a signature and is refused.
func Anonymous(r *http.Request) (*Result, error) {
	contentSHA := r.Header.Get("X-Amz-Content-Sha256")
	if contentSHA == "" {
		contentSHA = unsignedPayload
		for _, v := range r.Header.Values("Content-Encoding") {
			if strings.Contains(strings.ToLower(v), "aws-chunked") {
				// Chunked framing without a mode: unsigned chunks, as the
				// only mode an anonymous client can send.
				contentSHA = streamingUnsignedPayloadTrail
			}
		}
	}
	mode, sum, err := parsePayloadMode(contentSHA)
	if err != nil {
		return nil, err
	}
	if mode == payloadChunkedSigned || mode == payloadChunkedSignedTr {
		return nil, errAnonymousStreaming
	}
	return newResult(r, "", mode, sum, chunkSigner{})
}
