package sse

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/anode/anode/internal/testutil"
)

// TestCluster: three nodes (processes) reading their master key from a
// key file. A KMS key created through one node is used by another and
// read through the third: keys are replicated by the system group; and a
// key disabled through one node is refused at once by another.
func TestCluster(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(keyFile, []byte(masterKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cl := testutil.StartCluster(t, 3, "--set", "kms.master_key_file="+keyFile, "--chunk-size", "1MiB")
	n1, n2, n3 := cl.Nodes[0], cl.Nodes[1], cl.Nodes[2]
	c2, c3 := testutil.S3Client(n2.Endpoint), testutil.S3Client(n3.Endpoint)
	ctx := context.Background()
	if st, body := kmsAdmin(t, n1.AdminURL, "POST", "/kms/keys", `{"id":"shared"}`, testutil.AccessKey, testutil.SecretKey); st != http.StatusCreated {
		t.Fatalf("create on node 1: %d %s", st, body)
	}
	mkBucket(t, c2, "clus")
	data := random(41, 2*chunkSize+9)
	for _, sse := range []struct {
		key  string
		mode types.ServerSideEncryption
		id   *string
	}{{"kms", types.ServerSideEncryptionAwsKms, aws.String("shared")}, {"s3", types.ServerSideEncryptionAes256, nil}} {
		if _, err := c2.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("clus"), Key: aws.String(sse.key), Body: bytes.NewReader(data),
			ServerSideEncryption: sse.mode, SSEKMSKeyId: sse.id}); err != nil {
			t.Fatalf("put %s on node 2: %v", sse.key, err)
		}
		if _, got := get(t, c3, "clus", sse.key, "bytes=100-1500000", nil); !bytes.Equal(got, data[100:1500001]) {
			t.Fatalf("%s read on node 3 differs", sse.key)
		}
	}
	if st, body := kmsAdmin(t, n3.AdminURL, "POST", "/kms/disable?id=shared", "", testutil.AccessKey, testutil.SecretKey); st != http.StatusOK {
		t.Fatalf("disable on node 3: %d %s", st, body)
	}
	_, err := c2.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("clus"), Key: aws.String("kms")})
	wantCode(t, err, "KMS.DisabledException", 400)
}
