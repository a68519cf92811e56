package conformance

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawCase is one behaviour checked with a hand-built request. Each case
// runs in a new bucket ({b} in paths); setup requests must succeed.
type rawCase struct {
	name string
	// doc names the section of the Amazon S3 API Reference (or user guide)
	// the expected answer follows; for behaviour the documentation leaves
	// open it also says what AWS does in practice and how that is known.
	doc string
	// regional runs the case against the server with s3.region set.
	regional bool
	// bucketRegion creates the case's bucket with this location constraint.
	bucketRegion string
	setup        []raw
	req          raw
	status       int
	code         string // error code, for error answers
	// header values the answer must carry; "-" means the header is absent.
	header map[string]string
	// xml values the answer document must carry (first element of the name).
	xml   map[string]string
	check func(t *testing.T, r *response)
}

func md5b64(s string) string {
	sum := md5.Sum([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func put(path, body string, header map[string]string) raw {
	return raw{method: "PUT", path: path, body: body, header: header}
}

func get(path string, header map[string]string) raw {
	return raw{method: "GET", path: path, header: header}
}

var versioningOn = put("/{b}?versioning", `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`, nil)
var versioningSuspended = put("/{b}?versioning", `<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>`, nil)

func createIn(region string) string {
	return `<CreateBucketConfiguration><LocationConstraint>` + region + `</LocationConstraint></CreateBucketConfiguration>`
}

// The ETag of "hello".
const helloETag = `"5d41402abc4b2a76b9719d911017c592"`

var rawCases = []rawCase{
	// (5) Buckets and regions.
	{
		name:   "any signing region is accepted when s3.region is unset",
		doc:    "Authenticating Requests (AWS Signature Version 4), credential scope; AWS accepts only its endpoint's region, Anode with no configured region has no endpoint region (as MinIO with no region configured: aws CLI users with AWS_DEFAULT_REGION=eu-central-1 must work)",
		req:    raw{method: "GET", path: "/{b}?location", region: "eu-central-1"},
		status: 200,
	},
	{
		name:     "a configured region is enforced in the signature",
		doc:      "Error responses: AuthorizationHeaderMalformed (\"the region 'us-east-1' is wrong; expecting 'eu-west-3'\")",
		regional: true,
		req:      raw{method: "GET", path: "/{b}?location", region: "us-east-1"},
		status:   400, code: "AuthorizationHeaderMalformed",
		check: func(t *testing.T, r *response) {
			if m := xmlField(r.body, "Message"); !strings.Contains(m, "expecting 'eu-west-3'") {
				t.Errorf("message %q does not name the expected region", m)
			}
			if reg := xmlField(r.body, "Region"); reg != configuredRegion {
				t.Errorf("<Region> %q, want %q (botocore signs again for it)", reg, configuredRegion)
			}
		},
	},
	{
		name: "the configured region signs", doc: "Authenticating Requests (AWS Signature Version 4)",
		regional: true, req: raw{method: "GET", path: "/{b}?location", region: configuredRegion},
		status: 200, xml: map[string]string{"LocationConstraint": configuredRegion},
	},
	{
		name: "CreateBucket with a LocationConstraint records it", doc: "CreateBucket, CreateBucketConfiguration; GetBucketLocation",
		bucketRegion: "eu-central-1",
		req:          raw{method: "GET", path: "/{b}?location", region: "eu-central-1"},
		status:       200, xml: map[string]string{"LocationConstraint": "eu-central-1"},
	},
	{
		name: "HeadBucket names the bucket's region", doc: "HeadBucket, x-amz-bucket-region",
		bucketRegion: "eu-central-1",
		req:          raw{method: "HEAD", path: "/{b}"},
		status:       200, header: map[string]string{"x-amz-bucket-region": "eu-central-1"},
	},
	{
		name: "GetBucketLocation of a us-east-1 bucket is an empty constraint", doc: "GetBucketLocation (\"Buckets in Region us-east-1 have a LocationConstraint of null\")",
		req:    get("/{b}?location", nil),
		status: 200,
		check: func(t *testing.T, r *response) {
			if !strings.Contains(string(r.body), "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>") {
				t.Errorf("body %s", r.body)
			}
		},
	},
	{
		name: "an explicit us-east-1 constraint is InvalidLocationConstraint", doc: "CreateBucket, LocationConstraint; AWS refuses \"us-east-1\" as a constraint (botocore docs and aws-cli issue #2603: \"The specified location-constraint is not valid\")",
		req:    put("/{b}-x", createIn("us-east-1"), nil),
		status: 400, code: "InvalidLocationConstraint",
	},
	{
		name: "a constraint that is not a region is InvalidLocationConstraint", doc: "Error responses: InvalidLocationConstraint",
		req:    put("/{b}-x", createIn("moon-base-1x"), nil),
		status: 400, code: "InvalidLocationConstraint",
	},
	{
		name: "a constraint other than the configured region is IllegalLocationConstraintException", doc: "Error responses: IllegalLocationConstraintException (request sent to a region-specific endpoint)",
		regional: true,
		req:      raw{method: "PUT", path: "/{b}-x", body: createIn("eu-central-1"), region: configuredRegion},
		status:   400, code: "IllegalLocationConstraintException",
	},
	{
		name: "re-creating an owned bucket in us-east-1 succeeds", doc: "CreateBucket, Errors (BucketAlreadyOwnedByYou: \"In all AWS Regions except us-east-1 ... returns 409\"; us-east-1 answers 200)",
		req:    put("/{b}", "", nil),
		status: 200,
	},
	{
		name: "re-creating an owned bucket elsewhere is BucketAlreadyOwnedByYou", doc: "CreateBucket, Errors: BucketAlreadyOwnedByYou",
		bucketRegion: "eu-central-1",
		req:          raw{method: "PUT", path: "/{b}", body: createIn("eu-central-1"), region: "eu-central-1"},
		status:       409, code: "BucketAlreadyOwnedByYou",
	},
	{
		name: "ListBuckets max-buckets pages with a continuation token", doc: "ListBuckets, max-buckets and ContinuationToken",
		req:    get("/?max-buckets=1", nil),
		status: 200,
		check: func(t *testing.T, r *response) {
			if n := len(xmlFields(r.body, "Name")); n != 1 {
				t.Errorf("%d buckets, want 1", n)
			}
			if xmlField(r.body, "ContinuationToken") == "" {
				t.Errorf("no ContinuationToken: %s", r.body)
			}
		},
	},
	{
		name: "ListBuckets bucket-region filters and BucketRegion is reported", doc: "ListBuckets, bucket-region; Bucket, BucketRegion",
		bucketRegion: "ap-southeast-2",
		req:          get("/?bucket-region=ap-southeast-2", nil),
		status:       200,
		check: func(t *testing.T, r *response) {
			for _, reg := range xmlFields(r.body, "BucketRegion") {
				if reg != "ap-southeast-2" {
					t.Errorf("BucketRegion %q listed under bucket-region=ap-southeast-2", reg)
				}
			}
			if len(xmlFields(r.body, "BucketRegion")) == 0 {
				t.Errorf("the bucket made in ap-southeast-2 is not listed: %s", r.body)
			}
		},
	},
	{
		name: "ListBuckets bucket-region that is not a region", doc: "ListBuckets, bucket-region (AWS: InvalidArgument \"Argument value abc is not a valid AWS Region\", versity/versitygw#1923)",
		req:    get("/?bucket-region=abc", nil),
		status: 400, code: "InvalidArgument", xml: map[string]string{"ArgumentName": "bucket-region"},
	},
	{
		name: "ListBuckets bucket-region of another region than the configured one", doc: "ListBuckets, bucket-region (AWS: \"Requests with bucket-region specified must be made to the corresponding regional endpoint\", versity/versitygw#1930)",
		regional: true,
		req:      raw{method: "GET", path: "/?bucket-region=us-west-1", region: configuredRegion},
		status:   400, code: "InvalidArgument",
	},
	{
		name: "ListBuckets max-buckets out of range", doc: "ListBuckets, max-buckets (1-10000)",
		req:    get("/?max-buckets=0", nil),
		status: 400, code: "InvalidArgument",
	},

	// (2) Authentication and request errors.
	{
		name: "a malformed Authorization header", doc: "Error responses: AuthorizationHeaderMalformed",
		req: raw{method: "GET", path: "/{b}", anonymous: true, header: map[string]string{
			"Authorization": "AWS4-HMAC-SHA256 Credential=anodetest/20260101/us-east-1/s3", "X-Amz-Date": "20260101T000000Z", "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}},
		status: 400, code: "AuthorizationHeaderMalformed",
	},
	{
		name: "a request without a date", doc: "Authenticating Requests: Date handling (AccessDenied, \"AWS authentication requires a valid Date or x-amz-date header\")",
		req:    raw{method: "GET", path: "/{b}", afterSign: func(r *http.Request) { r.Header.Del("X-Amz-Date") }},
		status: 403, code: "AccessDenied",
	},
	{
		name: "a credential scope for another service", doc: "Authenticating Requests: credential scope (AuthorizationHeaderMalformed)",
		req: raw{method: "GET", path: "/{b}", afterSign: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/s3/aws4_request", "/ec2/aws4_request", 1))
		}},
		status: 400, code: "AuthorizationHeaderMalformed",
	},
	{
		name: "a credential scope whose date is not the request's", doc: "Authenticating Requests: credential scope (AuthorizationHeaderMalformed, \"Invalid credential date\")",
		req: raw{method: "GET", path: "/{b}", afterSign: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			i := strings.Index(a, "Credential=") + len("Credential=anodetest/")
			r.Header.Set("Authorization", a[:i]+"20000101"+a[i+8:])
		}},
		status: 400, code: "AuthorizationHeaderMalformed",
	},
	{
		name: "a credential scope with another terminator", doc: "Authenticating Requests: credential scope ends in aws4_request (AuthorizationHeaderMalformed)",
		req: raw{method: "GET", path: "/{b}", afterSign: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/aws4_request", "/aws5_request", 1))
		}},
		status: 400, code: "AuthorizationHeaderMalformed",
	},
	{
		name: "an unknown access key", doc: "Error responses: InvalidAccessKeyId",
		req: raw{method: "GET", path: "/{b}", afterSign: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Credential=anodetest/", "Credential=nobody/", 1))
		}},
		status: 403, code: "InvalidAccessKeyId",
	},
	{
		name: "a signature over other bytes", doc: "Error responses: SignatureDoesNotMatch",
		req:    raw{method: "GET", path: "/{b}", afterSign: func(r *http.Request) { r.URL.RawQuery = "prefix=changed" }},
		status: 403, code: "SignatureDoesNotMatch",
	},
	{
		name: "a request signed an hour ago", doc: "Error responses: RequestTimeTooSkewed (more than 15 minutes)",
		req:    raw{method: "GET", path: "/{b}", signedAt: time.Now().Add(-time.Hour)},
		status: 403, code: "RequestTimeTooSkewed",
		xml:    map[string]string{"MaxAllowedSkewMilliseconds": "900000"},
	},
	{
		name: "a header-signed request without x-amz-content-sha256", doc: "Authenticating Requests (AWS Signature Version 4): x-amz-content-sha256 is required (InvalidRequest, \"Missing required header for this request: x-amz-content-sha256\")",
		req:    raw{method: "GET", path: "/{b}", afterSign: func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") }},
		status: 400, code: "InvalidRequest",
	},
	{
		name: "a negative X-Amz-Expires", doc: "Authenticating Requests: Using Query Parameters (AuthorizationQueryParametersError, \"X-Amz-Expires must be non-negative\")",
		req: raw{method: "GET", path: "/{b}", presign: time.Hour, afterSign: func(r *http.Request) {
			q := r.URL.Query()
			q.Set("X-Amz-Expires", "-1")
			r.URL.RawQuery = q.Encode()
		}},
		status: 400, code: "AuthorizationQueryParametersError",
	},
	{
		// Anode accepts SigV2 (docs/auth.md), as S3 still does in the
		// regions that launched before 2014; a wrong V2 signature is
		// SignatureDoesNotMatch.
		name: "a wrong SigV2 signature", doc: "Signing and authenticating REST requests (Signature Version 2): SignatureDoesNotMatch",
		req:    raw{method: "GET", path: "/{b}", anonymous: true, header: map[string]string{"Authorization": "AWS anodetest:c2lnbmF0dXJl", "Date": time.Now().UTC().Format(http.TimeFormat)}},
		status: 403, code: "SignatureDoesNotMatch",
	},
	{
		name: "X-Amz-Expires above seven days", doc: "Authenticating Requests: Using Query Parameters (X-Amz-Expires at most 604800)",
		req:    raw{method: "GET", path: "/{b}", presign: 604801 * time.Second},
		status: 400, code: "AuthorizationQueryParametersError",
	},
	{
		name: "an expired presigned URL", doc: "Authenticating Requests: Using Query Parameters (AccessDenied, \"Request has expired\")",
		req:    raw{method: "GET", path: "/{b}", presign: time.Second, signedAt: time.Now().Add(-time.Minute)},
		status: 403, code: "AccessDenied",
		check: func(t *testing.T, r *response) {
			if m := xmlField(r.body, "Message"); m != "Request has expired" {
				t.Errorf("message %q", m)
			}
		},
	},
	{
		name: "a Content-MD5 that is not an MD5", doc: "PutObject, Content-MD5; Error responses: InvalidDigest",
		req:    put("/{b}/k", "hello", map[string]string{"Content-MD5": "bm90LWFuLW1kNQ=="}),
		status: 400, code: "InvalidDigest",
	},
	{
		name: "a Content-MD5 of other bytes", doc: "PutObject, Content-MD5; Error responses: BadDigest",
		req:    put("/{b}/k", "hello", map[string]string{"Content-MD5": md5b64("other")}),
		status: 400, code: "BadDigest",
	},
	{
		name: "an anonymous request for a missing bucket", doc: "Error responses: NoSuchBucket (bucket names are public; AWS answers NoSuchBucket before access checks, as ceph s3-tests test_bucket_get_anonymous_nonexistent expects)",
		req:    raw{method: "GET", path: "/{b}-missing/key", anonymous: true},
		status: 404, code: "NoSuchBucket",
	},
	{
		name: "an anonymous request for a missing key in a private bucket", doc: "Error responses: AccessDenied (without s3:ListBucket the existence of a key is not revealed)",
		req:    raw{method: "GET", path: "/{b}/missing", anonymous: true},
		status: 403, code: "AccessDenied",
	},
	{
		name: "a presigned PUT plus an unsigned x-amz-copy-source is refused", doc: "Authenticating Requests: Using Query Parameters; AWS answers 403 AccessDenied \"There were headers present in the request which were not signed\" (aws-sdk-java issue 1680, rustfs PR 7425)",
		setup: []raw{put("/{b}/private", "secret", nil)},
		req: raw{method: "PUT", path: "/{b}/upload", body: "x", presign: time.Hour, afterSign: func(r *http.Request) {
			r.Header.Set("x-amz-copy-source", r.URL.Path[1:strings.LastIndex(r.URL.Path, "/")]+"/private")
		}},
		status: 403, code: "AccessDenied",
		check: func(t *testing.T, r *response) {
			if m := xmlField(r.body, "Message"); m != "There were headers present in the request which were not signed" {
				t.Errorf("message %q", m)
			}
			if h := xmlField(r.body, "HeadersNotSigned"); h != "x-amz-copy-source" {
				t.Errorf("<HeadersNotSigned> %q", h)
			}
		},
	},
	{
		name: "a header-signed request with an added x-amz-acl is refused", doc: "Authenticating Requests (AWS Signature Version 4): every x-amz-* header must be signed",
		req:    raw{method: "PUT", path: "/{b}/k", body: "x", afterSign: func(r *http.Request) { r.Header.Set("x-amz-acl", "public-read") }},
		status: 403, code: "AccessDenied",
	},
	{
		name: "Transfer-Encoding: chunked without Content-Length is accepted", doc: "PutObject; RFC 9112 section 7.1 (AWS reads a chunked body that is not aws-chunked where it can; issue 16)",
		req:    raw{method: "PUT", path: "/{b}/chunked", body: "hello", unsignedPayload: true, chunked: true},
		status: 200, header: map[string]string{"ETag": helloETag},
	},

	{
		name: "a CopyObject with a body", doc: "CopyObject (AWS: InvalidRequest \"The request included a body. Requests of this type must not include a non-empty body.\", versity/versitygw#1242)",
		setup:  []raw{put("/{b}/src", "hello", nil)},
		req:    raw{method: "PUT", path: "/{b}/dst", body: "a body", header: map[string]string{"x-amz-copy-source": "/{b}/src"}},
		status: 400, code: "InvalidRequest",
	},
	{
		name: "x-amz-copy-source on a GET", doc: "CopyObject is a PUT; AWS refuses the header on other methods with InvalidArgument (versity/versitygw#1612, PR 1642)",
		setup:  []raw{put("/{b}/src", "hello", nil)},
		req:    get("/{b}/src", map[string]string{"x-amz-copy-source": "/{b}/src"}),
		status: 400, code: "InvalidArgument",
	},

	// (6) Versioning.
	{
		name: "no x-amz-version-id where versioning never was enabled", doc: "PutObject, x-amz-version-id (returned only for versioned buckets)",
		req:    put("/{b}/k", "hello", nil),
		status: 200, header: map[string]string{"x-amz-version-id": "-"},
	},
	{
		name: "x-amz-version-id on a versioned PUT", doc: "PutObject, x-amz-version-id",
		setup:  []raw{versioningOn},
		req:    put("/{b}/k", "hello", nil),
		status: 200,
		check: func(t *testing.T, r *response) {
			if v := r.Header.Get("x-amz-version-id"); v == "" || v == "null" {
				t.Errorf("x-amz-version-id %q", v)
			}
		},
	},
	{
		name: "x-amz-version-id null once versioning is suspended", doc: "Working with objects in a versioning-suspended bucket (version ID null)",
		setup:  []raw{versioningOn, versioningSuspended},
		req:    put("/{b}/k", "hello", nil),
		status: 200, header: map[string]string{"x-amz-version-id": "null"},
	},
	{
		name: "an object written before versioning is the null version", doc: "Adding objects to versioning-enabled buckets (objects stored before versioning have the version ID null); HeadObject x-amz-version-id",
		setup:  []raw{put("/{b}/k", "hello", nil), versioningOn},
		req:    raw{method: "HEAD", path: "/{b}/k"},
		status: 200, header: map[string]string{"x-amz-version-id": "null"},
	},
	{
		name: "no x-amz-version-id on GET where versioning never was enabled", doc: "GetObject, x-amz-version-id",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    get("/{b}/k", nil),
		status: 200, header: map[string]string{"x-amz-version-id": "-"},
	},
	{
		name: "DELETE in a versioned bucket answers x-amz-delete-marker", doc: "DeleteObject, x-amz-delete-marker and x-amz-version-id",
		setup:  []raw{versioningOn, put("/{b}/k", "hello", nil)},
		req:    raw{method: "DELETE", path: "/{b}/k"},
		status: 204, header: map[string]string{"x-amz-delete-marker": "true"},
	},
	{
		name: "GET of a key whose current version is a delete marker", doc: "GetObject, x-amz-delete-marker (404 NoSuchKey with x-amz-delete-marker: true)",
		setup:  []raw{versioningOn, put("/{b}/k", "hello", nil), {method: "DELETE", path: "/{b}/k"}},
		req:    get("/{b}/k", nil),
		status: 404, code: "NoSuchKey", header: map[string]string{"x-amz-delete-marker": "true"},
	},
	{
		name: "no x-amz-version-id on an unversioned delete", doc: "DeleteObject, x-amz-version-id",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    raw{method: "DELETE", path: "/{b}/k"},
		status: 204, header: map[string]string{"x-amz-version-id": "-", "x-amz-delete-marker": "-"},
	},
	{
		name: "an invalid version-id-marker", doc: "ListObjectVersions, version-id-marker (InvalidArgument \"Invalid version id specified\")",
		req:    get("/{b}?versions&key-marker=a&version-id-marker=not-a-version", nil),
		status: 400, code: "InvalidArgument",
	},

	// (1) Conditional requests.
	{
		name: "PUT If-None-Match with the current ETag fails", doc: "PutObject, If-None-Match; RFC 9110 section 13.1.2",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    put("/{b}/k", "new", map[string]string{"If-None-Match": helloETag}),
		status: 412, code: "PreconditionFailed",
	},
	{
		name: "PUT If-None-Match with another ETag writes", doc: "PutObject, If-None-Match; RFC 9110 section 13.1.2",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    put("/{b}/k", "new", map[string]string{"If-None-Match": `"0123456789abcdef0123456789abcdef"`}),
		status: 200,
	},
	{
		name: "PUT If-Match: * on a missing key", doc: "PutObject, If-Match; RFC 9110 section 13.1.1 (\"*\" is false without a current representation: 412, as ceph s3-tests test_put_object_ifmatch_nonexisted_failed expects)",
		req:    put("/{b}/k", "new", map[string]string{"If-Match": "*"}),
		status: 412, code: "PreconditionFailed",
	},
	{
		name: "PUT If-Match with an ETag on a missing key", doc: "Conditional writes, If-Match (no current object version: 404 NoSuchKey)",
		req:    put("/{b}/k", "new", map[string]string{"If-Match": helloETag}),
		status: 404, code: "NoSuchKey",
	},
	{
		name: "PUT If-Match: * on an existing key writes", doc: "PutObject, If-Match; RFC 9110 section 13.1.1",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    put("/{b}/k", "new", map[string]string{"If-Match": "*"}),
		status: 200,
	},
	{
		name: "a 304 carries ETag and Last-Modified", doc: "GetObject, If-None-Match; RFC 9110 section 15.4.5",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    get("/{b}/k", map[string]string{"If-None-Match": helloETag}),
		status: 304,
		check: func(t *testing.T, r *response) {
			if r.Header.Get("ETag") != helloETag || r.Header.Get("Last-Modified") == "" {
				t.Errorf("304 headers: %v", r.Header)
			}
		},
	},
	{
		name: "If-Match true and If-Unmodified-Since false is 200", doc: "GetObject, If-Match (\"If both ... If-Match evaluates to true, and If-Unmodified-Since evaluates to false, then S3 returns 200 OK\")",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    get("/{b}/k", map[string]string{"If-Match": helloETag, "If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}),
		status: 200,
	},
	{
		name: "If-None-Match false and If-Modified-Since true is 304", doc: "GetObject, If-None-Match (\"If-None-Match evaluates to false, and If-Modified-Since evaluates to true; then, S3 returns 304 Not Modified\")",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    get("/{b}/k", map[string]string{"If-None-Match": helloETag, "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}),
		status: 304,
	},
	{
		name: "HEAD If-Match false is 412", doc: "HeadObject, If-Match",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    raw{method: "HEAD", path: "/{b}/k", header: map[string]string{"If-Match": `"0123456789abcdef0123456789abcdef"`}},
		status: 412,
	},

	// (3) Listing.
	{
		name: "encoding-type=url encodes space as %20", doc: "ListObjectsV2, encoding-type (keys URL-encoded; space is %20 as AWS sends it, issue 16)",
		setup:  []raw{put("/{b}/a%20b+c/%C3%A9", "x", nil)},
		req:    get("/{b}?list-type=2&encoding-type=url", nil),
		status: 200, xml: map[string]string{"Key": "a%20b%2Bc/%C3%A9", "EncodingType": "url"},
	},
	{
		name: "encoding-type=url encodes prefixes and delimiters", doc: "ListObjects, encoding-type (Delimiter, Marker, Prefix, NextMarker, Key)",
		setup:  []raw{put("/{b}/p%20q%20r", "x", nil)},
		req:    get("/{b}?encoding-type=url&prefix=p%20&delimiter=%20", nil),
		status: 200, xml: map[string]string{"Prefix": "p%20", "Delimiter": "%20"},
		check: func(t *testing.T, r *response) {
			if cps := xmlFields(r.body, "Prefix"); len(cps) != 2 || cps[1] != "p%20q%20" {
				t.Errorf("prefixes %q", cps)
			}
		},
	},
	{
		name: "an empty continuation token lists from the start", doc: "ListObjectsV2, continuation-token; AWS treats an empty token as none and echoes it (ceph s3-tests test_bucket_listv2_continuationtoken_empty)",
		setup:  []raw{put("/{b}/a", "x", nil), put("/{b}/b", "x", nil)},
		req:    get("/{b}?list-type=2&continuation-token=", nil),
		status: 200,
		check: func(t *testing.T, r *response) {
			if !strings.Contains(string(r.body), "<ContinuationToken></ContinuationToken>") || len(xmlFields(r.body, "Key")) != 2 {
				t.Errorf("body %s", r.body)
			}
		},
	},
	{
		name: "a continuation token that is not one of ours", doc: "ListObjectsV2, continuation-token (InvalidArgument \"The continuation token provided is incorrect\")",
		req:    get("/{b}?list-type=2&continuation-token=%25%25", nil),
		status: 400, code: "InvalidArgument",
	},
	{
		name: "a delimiter that is not a slash", doc: "ListObjectsV2, delimiter (any string)",
		setup:  []raw{put("/{b}/a-1", "x", nil), put("/{b}/a-2", "x", nil), put("/{b}/b", "x", nil)},
		req:    get("/{b}?list-type=2&delimiter=-", nil),
		status: 200,
		check: func(t *testing.T, r *response) {
			if cps, keys := xmlFields(r.body, "Prefix"), xmlFields(r.body, "Key"); len(keys) != 1 || keys[0] != "b" || len(cps) != 2 || cps[1] != "a-" {
				t.Errorf("keys %q prefixes %q", keys, cps)
			}
		},
	},
	{
		name: "a multi-character delimiter with V1 paging", doc: "ListObjects, delimiter and NextMarker (returned when a delimiter is given)",
		setup:  []raw{put("/{b}/x--1", "x", nil), put("/{b}/y--2", "x", nil), put("/{b}/z", "x", nil)},
		req:    get("/{b}?delimiter=--&max-keys=1", nil),
		status: 200, xml: map[string]string{"NextMarker": "x--", "IsTruncated": "true"},
	},

	{
		name: "a one-letter delimiter inside keys", doc: "ListObjects, delimiter (ceph s3-tests test_bucket_list_delimiter_alt: keys bar baz cab foo, delimiter a)",
		setup:  []raw{put("/{b}/bar", "x", nil), put("/{b}/baz", "x", nil), put("/{b}/cab", "x", nil), put("/{b}/foo", "x", nil)},
		req:    get("/{b}?delimiter=a", nil),
		status: 200,
		check: func(t *testing.T, r *response) {
			keys, cps := xmlFields(r.body, "Key"), xmlFields(r.body, "Prefix")
			if strings.Join(keys, ",") != "foo" || strings.Join(cps, ",") != ",ba,ca" {
				t.Errorf("keys %q prefixes %q", keys, cps)
			}
		},
	},
	{
		name: "a prefix and a delimiter that overlap", doc: "ListObjects, prefix and delimiter (ceph s3-tests test_bucket_list_prefix_delimiter_alt: prefix ba, delimiter a)",
		setup:  []raw{put("/{b}/bar", "x", nil), put("/{b}/baza", "x", nil), put("/{b}/cab", "x", nil), put("/{b}/foo", "x", nil)},
		req:    get("/{b}?prefix=ba&delimiter=a", nil),
		status: 200,
		check: func(t *testing.T, r *response) {
			keys, cps := xmlFields(r.body, "Key"), xmlFields(r.body, "Prefix")
			if strings.Join(keys, ",") != "bar" || strings.Join(cps, ",") != "ba,baza" {
				t.Errorf("keys %q prefixes %q", keys, cps)
			}
		},
	},
	{
		name: "a prefix that ends with the delimiter", doc: "ListObjects (ceph s3-tests test_bucket_list_prefix_delimiter_prefix_delimiter_not_exist family: the key equal to the prefix is a key, not a common prefix)",
		setup:  []raw{put("/{b}/asdf/", "x", nil)},
		req:    get("/{b}?prefix=asdf/&delimiter=/", nil),
		status: 200,
		check: func(t *testing.T, r *response) {
			keys, cps := xmlFields(r.body, "Key"), xmlFields(r.body, "Prefix")
			if strings.Join(keys, ",") != "asdf/" || len(cps) != 1 {
				t.Errorf("keys %q prefixes %q", keys, cps)
			}
		},
	},

	// (4) Metadata encoding.
	{
		name: "non-ASCII user metadata comes back RFC 2047 encoded", doc: "Working with object metadata, user-defined metadata (non-US-ASCII values are returned RFC 2047 encoded)",
		setup:  []raw{put("/{b}/k", "x", map[string]string{"x-amz-meta-name": "Zoë"})},
		req:    raw{method: "HEAD", path: "/{b}/k"},
		status: 200, header: map[string]string{"x-amz-meta-name": "=?UTF-8?b?Wm/Dqw==?="},
	},
	{
		name: "metadata bytes that are not UTF-8 are read as ISO-8859-1", doc: "Working with object metadata (RFC 2047 on the way back); RFC 9110 section 5.5 (obs-text; Python's http.client sends ISO-8859-1, as ceph s3-tests test_object_set_get_unicode_metadata does)",
		setup:  []raw{put("/{b}/k", "x", map[string]string{"x-amz-meta-name": "Hello World\xe9"})},
		req:    raw{method: "HEAD", path: "/{b}/k"},
		status: 200, header: map[string]string{"x-amz-meta-name": "=?UTF-8?b?SGVsbG8gV29ybGTDqQ==?="},
	},
	{
		name: "Content-Encoding is kept as sent", doc: "PutObject, Content-Encoding",
		setup:  []raw{put("/{b}/k", "x", map[string]string{"Content-Encoding": "gzip, br"})},
		req:    raw{method: "HEAD", path: "/{b}/k"},
		status: 200, header: map[string]string{"Content-Encoding": "gzip, br"},
	},

	// (7) Checksums.
	{
		name: "a wrong x-amz-checksum-crc32 is BadDigest", doc: "Checking object integrity: a checksum that does not match is BadDigest",
		req:    put("/{b}/k", "hello", map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}),
		status: 400, code: "BadDigest",
	},
	{
		name: "a malformed x-amz-checksum-crc32 is InvalidRequest", doc: "PutObject, x-amz-checksum-crc32 (\"Value for x-amz-checksum-crc32 header is invalid.\")",
		req:    put("/{b}/k", "hello", map[string]string{"x-amz-checksum-crc32": "not base64"}),
		status: 400, code: "InvalidRequest",
	},

	{
		name: "part 1 of an object uploaded in one piece is a ranged read", doc: "GetObject, partNumber (\"Effectively performs a 'ranged' GET\"): AWS answers 206 with Content-Range and no x-amz-mp-parts-count (\"only returned if ... the object was uploaded as a multipart upload\"); AWS response shown in versity/versitygw#2074",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    get("/{b}/k?partNumber=1", nil),
		status: 206, header: map[string]string{"Content-Range": "bytes 0-4/5", "Content-Length": "5", "x-amz-mp-parts-count": "-"},
	},
	{
		name: "HEAD of part 1 of an object uploaded in one piece", doc: "HeadObject, partNumber (a ranged HEAD; moto issue 7779 records AWS's 206)",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    raw{method: "HEAD", path: "/{b}/k?partNumber=1"},
		status: 206, header: map[string]string{"Content-Range": "bytes 0-4/5", "Content-Length": "5"},
	},
	{
		name: "part 2 of an object uploaded in one piece", doc: "GetObject, partNumber (beyond the parts: InvalidPart)",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    get("/{b}/k?partNumber=2", nil),
		status: 400, code: "InvalidPart",
	},

	// (8) Limits.
	{
		name: "a key above 1024 bytes", doc: "Naming Amazon S3 objects (1024 bytes); Error responses: KeyTooLongError",
		req:    put("/{b}/"+strings.Repeat("k", 1025), "x", nil),
		status: 400, code: "KeyTooLongError",
	},
	{
		name: "user metadata above 2 KB", doc: "Working with object metadata (2 KB); Error responses: MetadataTooLarge",
		req:    put("/{b}/k", "x", map[string]string{"x-amz-meta-big": strings.Repeat("v", 2048)}),
		status: 400, code: "MetadataTooLarge",
	},
	{
		name: "a part number above 10000", doc: "UploadPart, partNumber (1-10000)",
		req:    put("/{b}/k?partNumber=10001&uploadId=x", "x", nil),
		status: 400, code: "InvalidArgument", xml: map[string]string{"ArgumentName": "partNumber", "ArgumentValue": "10001"},
	},

	{
		name: "HEAD of a delete marker", doc: "HeadObject: a delete marker answers 404 with x-amz-delete-marker: true",
		setup:  []raw{versioningOn, put("/{b}/k", "hello", nil), {method: "DELETE", path: "/{b}/k"}},
		req:    raw{method: "HEAD", path: "/{b}/k"},
		status: 404, header: map[string]string{"x-amz-delete-marker": "true"},
	},
	{
		name: "a version ID that does not exist", doc: "GetObject, versionId: NoSuchVersion (404)",
		setup:  []raw{versioningOn, put("/{b}/k", "hello", nil)},
		req:    raw{method: "GET", path: "/{b}/k?versionId=0000000000000001"},
		status: 404, code: "NoSuchVersion",
	},

	// (9) Unsupported features answer what AWS answers for their shape.
	{
		name: "an unconfigured lifecycle", doc: "GetBucketLifecycleConfiguration: NoSuchLifecycleConfiguration",
		req:    get("/{b}?lifecycle", nil),
		status: 404, code: "NoSuchLifecycleConfiguration",
	},
	{
		name: "an unconfigured website", doc: "GetBucketWebsite: NoSuchWebsiteConfiguration",
		req:    get("/{b}?website", nil),
		status: 404, code: "NoSuchWebsiteConfiguration",
	},
	{
		name: "an unconfigured replication", doc: "GetBucketReplication: ReplicationConfigurationNotFoundError",
		req:    get("/{b}?replication", nil),
		status: 404, code: "ReplicationConfigurationNotFoundError",
	},
	{
		name: "an unconfigured object lock", doc: "GetObjectLockConfiguration: ObjectLockConfigurationNotFoundError",
		req:    get("/{b}?object-lock", nil),
		status: 404, code: "ObjectLockConfigurationNotFoundError",
	},
	{
		name: "no notifications", doc: "GetBucketNotificationConfiguration (an empty NotificationConfiguration)",
		req:    get("/{b}?notification", nil),
		status: 200, xml: map[string]string{"NotificationConfiguration": ""},
	},
	{
		name: "no logging", doc: "GetBucketLogging (an empty BucketLoggingStatus)",
		req:    get("/{b}?logging", nil),
		status: 200, xml: map[string]string{"BucketLoggingStatus": ""},
	},
	{
		name: "the bucket owner pays", doc: "GetBucketRequestPayment (Payer BucketOwner)",
		req:    get("/{b}?requestPayment", nil),
		status: 200, xml: map[string]string{"Payer": "BucketOwner"},
	},
	{
		name: "no transfer acceleration", doc: "GetBucketAccelerateConfiguration (no Status when never set)",
		req:    get("/{b}?accelerate", nil),
		status: 200, xml: map[string]string{"AccelerateConfiguration": ""},
	},
	{
		name: "no analytics configurations", doc: "ListBucketAnalyticsConfigurations (an empty list)",
		req:    get("/{b}?analytics", nil),
		status: 200, xml: map[string]string{"IsTruncated": "false", "ListBucketAnalyticsConfigurationResult": ""},
	},
	{
		name: "a named metrics configuration that does not exist", doc: "GetBucketMetricsConfiguration: NoSuchConfiguration",
		req:    get("/{b}?metrics&id=m1", nil),
		status: 404, code: "NoSuchConfiguration",
	},
	{
		name: "deleting a lifecycle that does not exist", doc: "DeleteBucketLifecycle (204 No Content)",
		req:    raw{method: "DELETE", path: "/{b}?lifecycle"},
		status: 204,
	},
	{
		name: "object retention without object lock", doc: "GetObjectRetention (InvalidRequest \"Bucket is missing Object Lock Configuration\")",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    get("/{b}/k?retention", nil),
		status: 400, code: "InvalidRequest",
	},
	{
		name: "a torrent of a missing key", doc: "GetObjectTorrent: the key is looked up first (NoSuchKey, as rustfs PR 1575 for ceph s3-tests test_get_object_torrent)",
		req:    get("/{b}/missing?torrent", nil),
		status: 404, code: "NoSuchKey",
	},
	{
		name: "a torrent of an object", doc: "GetObjectTorrent (not offered in AWS Regions launched after 2016; Anode answers NotImplemented, never the object's bytes)",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    get("/{b}/k?torrent", nil),
		status: 501, code: "NotImplemented",
	},
	{
		name: "setting an unimplemented configuration is NotImplemented", doc: "Error responses: NotImplemented (\"A header you provided implies functionality that is not implemented\")",
		req:    put("/{b}?lifecycle", "<LifecycleConfiguration/>", nil),
		status: 501, code: "NotImplemented",
	},
	{
		name: "an unimplemented object operation is NotImplemented", doc: "RestoreObject; Error responses: NotImplemented",
		setup:  []raw{put("/{b}/k", "hello", nil)},
		req:    raw{method: "POST", path: "/{b}/k?restore", body: "<RestoreRequest/>"},
		status: 501, code: "NotImplemented",
	},
	{
		name: "a sub-resource of a missing bucket", doc: "Error responses: NoSuchBucket comes before NotImplemented",
		req:    get("/{b}-missing?analytics", nil),
		status: 404, code: "NoSuchBucket",
	},
}

func TestRaw(t *testing.T) {
	startServers(t)
	for _, tc := range rawCases {
		t.Run(tc.name, func(t *testing.T) {
			srv := servers.open
			region := ""
			if tc.regional {
				srv, region = servers.regional, configuredRegion
			}
			b := newBucketName()
			create := raw{method: "PUT", path: "/{b}", region: region}
			if tc.bucketRegion != "" {
				create.body, create.region = createIn(tc.bucketRegion), tc.bucketRegion
			}
			mustSend(t, srv.Endpoint, b, create)
			for _, s := range tc.setup {
				if s.region == "" {
					s.region = region
				}
				mustSend(t, srv.Endpoint, b, s)
			}
			r := send(t, srv.Endpoint, b, tc.req)
			if r.StatusCode != tc.status {
				t.Fatalf("%s\nstatus %d, want %d: %s", tc.doc, r.StatusCode, tc.status, r.body)
			}
			if tc.code != "" && r.Request.Method != "HEAD" {
				if c := r.errCode(); c != tc.code {
					t.Fatalf("%s\ncode %q, want %q: %s", tc.doc, c, tc.code, r.body)
				}
			}
			for k, want := range tc.header {
				got, ok := r.Header[http.CanonicalHeaderKey(k)]
				switch {
				case want == "-" && ok:
					t.Errorf("%s\nheader %s = %q, want none", tc.doc, k, got)
				case want != "-" && (len(got) != 1 || got[0] != want):
					t.Errorf("%s\nheader %s = %q, want %q", tc.doc, k, got, want)
				}
			}
			for k, want := range tc.xml {
				if want == "" {
					if !strings.Contains(string(r.body), "<"+k) {
						t.Errorf("%s\nno <%s> in %s", tc.doc, k, r.body)
					}
					continue
				}
				if got := xmlField(r.body, k); got != want {
					t.Errorf("%s\n<%s> = %q, want %q in %s", tc.doc, k, got, want, r.body)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}
