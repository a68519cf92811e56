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

	{method: http.MethodGet, level: levelObject, op: "GetObject", fn: (*api).getObject},
	{method: http.MethodHead, level: levelObject, op: "HeadObject", fn: (*api).headObject},
	{method: http.MethodPut, level: levelObject, header: "x-amz-copy-source", op: "CopyObject", fn: (*api).copyObject},
	{method: http.MethodPut, level: levelObject, op: "PutObject", fn: (*api).putObject},
	{method: http.MethodDelete, level: levelObject, op: "DeleteObject", fn: (*api).deleteObject},
}
