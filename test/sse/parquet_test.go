package sse

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	pq "github.com/parquet-go/parquet-go"

	"github.com/anode/anode/internal/testutil"
)

type pqRow struct {
	ID   int64  `parquet:"id"`
	Name string `parquet:"name"`
}

// TestParquetEncrypted: a Parquet file written with SSE-KMS (single part)
// and SSE-S3 (multipart) gets its footer index (footer reads are served
// from it, counted by the tail cache metrics, which count nothing for an
// object without an index), and S3 Select reads it.
func TestParquetEncrypted(t *testing.T) {
	srv, c := start(t, false)
	ctx := context.Background()
	mkBucket(t, c, "pqb")
	var rows []pqRow
	for i := range 60000 {
		rows = append(rows, pqRow{ID: int64(i), Name: fmt.Sprintf("name-%d-%x", i, i*7919)})
	}
	var buf bytes.Buffer
	w := pq.NewGenericWriter[pqRow](&buf)
	for i := 0; i < len(rows); i += 10000 {
		if _, err := w.Write(rows[i : i+10000]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	if len(file) < chunkSize {
		t.Fatalf("parquet file is %d bytes; want more than a chunk", len(file))
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pqb"), Key: aws.String("kms.parquet"), Body: bytes.NewReader(file),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("pqb"), Key: aws.String("mp.parquet"),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatal(err)
	}
	half := len(file) / 2
	var parts []types.CompletedPart
	for i, p := range [][]byte{file[:half], file[half:]} {
		res, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("pqb"), Key: aws.String("mp.parquet"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: res.ETag})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("pqb"), Key: aws.String("mp.parquet"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"kms.parquet", "mp.parquet"} {
		lookups := func() float64 {
			return testutil.Metric(t, srv.AdminURL, "anode_parquet_footer_cache_hits_total") +
				testutil.Metric(t, srv.AdminURL, "anode_parquet_footer_cache_misses_total")
		}
		before := lookups()
		_, tail := get(t, c, "pqb", key, "bytes=-8", nil)
		if !bytes.Equal(tail, file[len(file)-8:]) {
			t.Fatalf("%s: footer tail differs", key)
		}
		if lookups() == before {
			t.Fatalf("%s: the footer read did not use the footer index: none was built", key)
		}
		resp, err := c.SelectObjectContent(ctx, &s3.SelectObjectContentInput{Bucket: aws.String("pqb"), Key: aws.String(key),
			Expression: aws.String("SELECT s.name FROM S3Object s WHERE s.id = 54321"), ExpressionType: types.ExpressionTypeSql,
			InputSerialization:  &types.InputSerialization{Parquet: &types.ParquetInput{}},
			OutputSerialization: &types.OutputSerialization{CSV: &types.CSVOutput{}}})
		if err != nil {
			t.Fatal(err)
		}
		var rec strings.Builder
		stream := resp.GetStream()
		for ev := range stream.Events() {
			if r, ok := ev.(*types.SelectObjectContentEventStreamMemberRecords); ok {
				rec.Write(r.Value.Payload)
			}
		}
		stream.Close()
		if want := rows[54321].Name + "\n"; rec.String() != want {
			t.Fatalf("%s: select %q, want %q", key, rec.String(), want)
		}
	}
}
