package testutil

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// AdminDo sends a request to an authenticated admin endpoint (such as
// /cluster/status), signed with the test root credentials as `anode
// admin` signs it, and returns the status and body.
func AdminDo(adminURL, method, path string) (int, []byte, error) {
	return AdminDoAs(adminURL, method, path, AccessKey, SecretKey)
}

// AdminDoAs is AdminDo with other credentials (empty: an unsigned request).
func AdminDoAs(adminURL, method, path, accessKey, secretKey string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, adminURL+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if accessKey != "" {
		sum := sha256.Sum256(nil)
		hash := hex.EncodeToString(sum[:])
		req.Header.Set("X-Amz-Content-Sha256", hash)
		creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
			return 0, nil, err
		}
	}
	resp, err := HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, body, err
}

// HTTPClient is the client of the admin helpers; tests of HTTPS ports
// replace its transport with one that trusts their CA.
var HTTPClient = &http.Client{}
