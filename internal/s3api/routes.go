package s3api

import "net/http"

// routes lists the implemented operations. The first match wins, so a
// route with more sub-resources or a header precedes the plainer route of
// the same method and level. Any request that matches none is answered
// NotImplemented.
//
// To add an operation, add its line here and write its handler.
var routes = []route{
	{method: http.MethodGet, level: levelService, op: "ListBuckets", fn: (*api).listBuckets},

	{method: http.MethodGet, level: levelBucket, query: []string{"location"}, op: "GetBucketLocation", fn: (*api).getBucketLocation},
	{method: http.MethodGet, level: levelBucket, query: []string{"list-type"}, op: "ListObjectsV2", fn: (*api).listObjectsV2},
	{method: http.MethodGet, level: levelBucket, op: "ListObjects", fn: (*api).listObjects},
	{method: http.MethodPut, level: levelBucket, op: "CreateBucket", fn: (*api).createBucket},
	{method: http.MethodDelete, level: levelBucket, op: "DeleteBucket", fn: (*api).deleteBucket},
	{method: http.MethodHead, level: levelBucket, op: "HeadBucket", fn: (*api).headBucket},
	{method: http.MethodPost, level: levelBucket, query: []string{"delete"}, op: "DeleteObjects", fn: (*api).deleteObjects},
	// Browser uploads: POST /bucket with a multipart/form-data body (postobject.go).
	{method: http.MethodPost, level: levelBucket, header: "Content-Type", op: "PostObject", fn: (*api).postObject},

	{method: http.MethodGet, level: levelObject, op: "GetObject", fn: (*api).getObject},
	{method: http.MethodHead, level: levelObject, op: "HeadObject", fn: (*api).headObject},
	{method: http.MethodPut, level: levelObject, header: "x-amz-copy-source", op: "CopyObject", fn: (*api).copyObject},
	{method: http.MethodPut, level: levelObject, op: "PutObject", fn: (*api).putObject},
	{method: http.MethodDelete, level: levelObject, op: "DeleteObject", fn: (*api).deleteObject},
	{method: http.MethodPost, level: levelObject, query: []string{"select", "select-type"}, op: "SelectObjectContent", fn: (*api).selectObjectContent},

	// The object model: multipart uploads, versioning, tagging, attributes,
	// CORS and ACLs (multipart.go, versioning.go, tagging.go, attributes.go,
	// cors.go, acl.go).
	{method: http.MethodGet, level: levelBucket, query: []string{"uploads"}, op: "ListMultipartUploads", fn: (*api).listMultipartUploads},
	{method: http.MethodGet, level: levelBucket, query: []string{"versioning"}, op: "GetBucketVersioning", fn: (*api).getBucketVersioning},
	{method: http.MethodPut, level: levelBucket, query: []string{"versioning"}, op: "PutBucketVersioning", fn: (*api).putBucketVersioning},
	{method: http.MethodGet, level: levelBucket, query: []string{"versions"}, op: "ListObjectVersions", fn: (*api).listObjectVersions},
	{method: http.MethodGet, level: levelBucket, query: []string{"tagging"}, op: "GetBucketTagging", fn: (*api).getBucketTagging},
	{method: http.MethodPut, level: levelBucket, query: []string{"tagging"}, op: "PutBucketTagging", fn: (*api).putBucketTagging},
	{method: http.MethodDelete, level: levelBucket, query: []string{"tagging"}, op: "DeleteBucketTagging", fn: (*api).deleteBucketTagging},
	{method: http.MethodGet, level: levelBucket, query: []string{"cors"}, op: "GetBucketCors", fn: (*api).getBucketCORS},
	{method: http.MethodPut, level: levelBucket, query: []string{"cors"}, op: "PutBucketCors", fn: (*api).putBucketCORS},
	{method: http.MethodDelete, level: levelBucket, query: []string{"cors"}, op: "DeleteBucketCors", fn: (*api).deleteBucketCORS},
	{method: http.MethodGet, level: levelBucket, query: []string{"acl"}, op: "GetBucketAcl", fn: (*api).getBucketACL},
	{method: http.MethodPut, level: levelBucket, query: []string{"acl"}, op: "PutBucketAcl", fn: (*api).putBucketACL},
	// Bucket policies and public access blocks (bucketpolicy.go).
	{method: http.MethodGet, level: levelBucket, query: []string{"policyStatus"}, op: "GetBucketPolicyStatus", fn: (*api).getBucketPolicyStatus},
	{method: http.MethodGet, level: levelBucket, query: []string{"policy"}, op: "GetBucketPolicy", fn: (*api).getBucketPolicy},
	{method: http.MethodPut, level: levelBucket, query: []string{"policy"}, op: "PutBucketPolicy", fn: (*api).putBucketPolicy},
	{method: http.MethodDelete, level: levelBucket, query: []string{"policy"}, op: "DeleteBucketPolicy", fn: (*api).deleteBucketPolicy},
	{method: http.MethodGet, level: levelBucket, query: []string{"publicAccessBlock"}, op: "GetPublicAccessBlock", fn: (*api).getPublicAccessBlock},
	{method: http.MethodPut, level: levelBucket, query: []string{"publicAccessBlock"}, op: "PutPublicAccessBlock", fn: (*api).putPublicAccessBlock},
	{method: http.MethodDelete, level: levelBucket, query: []string{"publicAccessBlock"}, op: "DeletePublicAccessBlock", fn: (*api).deletePublicAccessBlock},
	{method: http.MethodGet, level: levelBucket, query: []string{"encryption"}, op: "GetBucketEncryption", fn: (*api).getBucketEncryption},
	{method: http.MethodPut, level: levelBucket, query: []string{"encryption"}, op: "PutBucketEncryption", fn: (*api).putBucketEncryption},
	{method: http.MethodDelete, level: levelBucket, query: []string{"encryption"}, op: "DeleteBucketEncryption", fn: (*api).deleteBucketEncryption},

	{method: http.MethodPost, level: levelObject, query: []string{"uploads"}, op: "CreateMultipartUpload", fn: (*api).createMultipartUpload},
	{method: http.MethodPut, level: levelObject, query: []string{"uploadId"}, header: "x-amz-copy-source", op: "UploadPartCopy", fn: (*api).uploadPartCopy},
	{method: http.MethodPut, level: levelObject, query: []string{"uploadId"}, op: "UploadPart", fn: (*api).uploadPart},
	{method: http.MethodPost, level: levelObject, query: []string{"uploadId"}, op: "CompleteMultipartUpload", fn: (*api).completeMultipartUpload},
	{method: http.MethodDelete, level: levelObject, query: []string{"uploadId"}, op: "AbortMultipartUpload", fn: (*api).abortMultipartUpload},
	{method: http.MethodGet, level: levelObject, query: []string{"uploadId"}, op: "ListParts", fn: (*api).listParts},
	{method: http.MethodGet, level: levelObject, query: []string{"tagging"}, op: "GetObjectTagging", fn: (*api).getObjectTagging},
	{method: http.MethodPut, level: levelObject, query: []string{"tagging"}, op: "PutObjectTagging", fn: (*api).putObjectTagging},
	{method: http.MethodDelete, level: levelObject, query: []string{"tagging"}, op: "DeleteObjectTagging", fn: (*api).deleteObjectTagging},
	{method: http.MethodGet, level: levelObject, query: []string{"attributes"}, op: "GetObjectAttributes", fn: (*api).getObjectAttributes},
	{method: http.MethodGet, level: levelObject, query: []string{"acl"}, op: "GetObjectAcl", fn: (*api).getObjectACL},
	{method: http.MethodPut, level: levelObject, query: []string{"acl"}, op: "PutObjectAcl", fn: (*api).putObjectACL},
}
