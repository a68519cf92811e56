package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// newS3Client returns a client tuned so that the client is not what is
// measured:
//   - one idle connection kept per worker (and some), so no request waits
//     for a TCP handshake;
//   - no retries: a failed request is an error in the report, not a slow
//     success hidden inside a latency sample;
//   - no CRC32 request checksums or response validation, and by default
//     UNSIGNED-PAYLOAD instead of a SHA-256 of every body, which would cost
//     the client as much CPU as the server spends storing it;
//   - no "Expect: 100-continue" round trip before large bodies.
func newS3Client(c *S3Config) *s3.Client {
	tr := &http.Transport{
		Proxy: nil, // load goes where --endpoint says, never through a proxy
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          2*c.Concurrency + 16,
		MaxIdleConnsPerHost:   2*c.Concurrency + 16,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 5 * time.Minute,
		DisableCompression:    true,
		WriteBufferSize:       128 << 10,
		ReadBufferSize:        128 << 10,
	}
	opts := s3.Options{
		Region:                       c.Region,
		BaseEndpoint:                 aws.String(c.Endpoint),
		UsePathStyle:                 true,
		Credentials:                  credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, ""),
		HTTPClient:                   &http.Client{Transport: tr},
		Retryer:                      aws.NopRetryer{},
		RequestChecksumCalculation:   aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation:   aws.ResponseChecksumValidationWhenRequired,
		ContinueHeaderThresholdBytes: -1,
		DisableLogOutputChecksumValidationSkipped: true,
	}
	if !c.SignPayload {
		opts.APIOptions = append(opts.APIOptions, unsignedPayload)
	}
	return s3.New(opts)
}

// unsignedPayload replaces the SigV4 payload SHA-256 with UNSIGNED-PAYLOAD
// on operations that have one.
func unsignedPayload(stack *middleware.Stack) error {
	if _, ok := stack.Finalize.Get((&v4.ComputePayloadSHA256{}).ID()); !ok {
		return nil
	}
	return v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware(stack)
}

// ensureBucket creates the bucket unless it exists already.
func ensureBucket(ctx context.Context, c *s3.Client, bucket, region string) error {
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		return nil
	}
	var nf *types.NotFound
	var nsb *types.NoSuchBucket
	if !errors.As(err, &nf) && !errors.As(err, &nsb) && errorCode(err) != "NotFound" {
		return fmt.Errorf("head bucket %s: %w", bucket, err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if region != "" && region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(region),
		}
	}
	if _, err := c.CreateBucket(ctx, in); err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		if errors.As(err, &owned) {
			return nil // created by a concurrent run
		}
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

// errorCode returns the S3 error code of err, or "" if it has none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
