package s3api

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// maxCreateBucketBody bounds the CreateBucketConfiguration document.
const maxCreateBucketBody = 64 << 10

// maxBuckets is the largest page of ListBuckets (AWS: max-buckets 1..10000).
const maxBuckets = 10000

// listBuckets serves ListBuckets (GET /): prefix, bucket-region,
// max-buckets and continuation-token as AWS defines them. The token is the
// last bucket name returned (base64url), so any node can continue it.
func (a *api) listBuckets(rq *request) error {
	q := rq.r.URL.Query()
	limit := maxBuckets
	if s, ok := q["max-buckets"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 1 || n > maxBuckets {
			return s3err.InvalidArgument.WithMessage("max-buckets must be an integer between 1 and %d", maxBuckets).
				WithField("ArgumentName", "max-buckets").WithField("ArgumentValue", s[0])
		}
		limit = n
	}
	after := ""
	if t, ok := q["continuation-token"]; ok {
		last, err := decodeContinuationToken(t[0])
		if err != nil {
			return err
		}
		after = last
	}
	prefix, region := q.Get("prefix"), q.Get("bucket-region")
	switch {
	case region == "":
	case region != "EU" && !regionName.MatchString(region):
		return s3err.InvalidArgument.WithMessage("Argument value %s is not a valid AWS Region", region).
			WithField("ArgumentName", "bucket-region")
	case a.region != "" && region != a.region:
		// As a regional AWS endpoint answers for another region.
		return s3err.InvalidArgument.WithMessage("Requests with bucket-region specified must be made to the corresponding regional endpoint").
			WithField("ArgumentName", "bucket-region")
	}
	buckets, err := a.objects.ListBuckets(rq.ctx())
	if err != nil {
		return err
	}
	res := listAllMyBucketsResult{NS: s3NS, Owner: rq.requester(), Prefix: prefix}
	res.Buckets = []bucketInfo{}
	user := rq.userName()
	for _, b := range buckets {
		br := a.bucketRegion(b)
		if b.Name <= after || !strings.HasPrefix(b.Name, prefix) || (region != "" && br != region) {
			continue
		}
		// An IAM user sees the buckets it created; root sees all.
		if user != "" && b.Owner != user {
			continue
		}
		if len(res.Buckets) == limit {
			res.ContinuationToken = encodeContinuationToken(res.Buckets[len(res.Buckets)-1].Name)
			break
		}
		res.Buckets = append(res.Buckets, bucketInfo{
			Name:         b.Name,
			CreationDate: xmlTime(b.Created),
			BucketRegion: br,
		})
	}
	writeXML(rq.w, http.StatusOK, res)
	return nil
}

// bucketRegion is the region a bucket reports: the location constraint it
// was created with, else the configured region (a bucket made before
// regions were recorded was made in it), else us-east-1.
func (a *api) bucketRegion(b object.BucketInfo) string {
	switch {
	case b.Region != "":
		return b.Region
	case a.region != "":
		return a.region
	}
	return "us-east-1"
}

// regionName matches the names of AWS regions ("eu-central-1",
// "us-gov-west-1", "cn-north-1", ...).
var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

var errInvalidLocationConstraint = &s3err.Error{Code: "InvalidLocationConstraint", Status: http.StatusBadRequest,
	Message: "The specified location-constraint is not valid"}

// locationFor returns the region a CreateBucket request creates its bucket
// in ("" for us-east-1), or the error AWS answers for its constraint:
// InvalidLocationConstraint for a name that is not a region (and for an
// explicit "us-east-1", which AWS refuses too), and
// IllegalLocationConstraintException for a region other than the one this
// server is configured for. Without a configured region any region is
// accepted and recorded, so that clients whose default region is not
// us-east-1 work unchanged.
func (a *api) locationFor(lc string) (string, error) {
	switch {
	case lc == "":
		if a.region == "us-east-1" {
			return "", nil
		}
		return a.region, nil
	case lc == "us-east-1" || (lc != "EU" && !regionName.MatchString(lc)):
		return "", errInvalidLocationConstraint
	case a.region != "" && lc != a.region:
		return "", errIllegalLocationConstraint.WithMessage("The %s location constraint is incompatible for the region specific endpoint this request was sent to.", lc)
	}
	return lc, nil
}

// createBucket serves CreateBucket (PUT /bucket).
func (a *api) createBucket(rq *request) error {
	var cfg createBucketConfiguration
	if err := readXML(rq.body, maxCreateBucketBody, &cfg, true); err != nil {
		return err
	}
	region, err := a.locationFor(cfg.LocationConstraint)
	if err != nil {
		return err
	}
	create := a.objects.CreateBucket
	if strings.EqualFold(rq.r.Header.Get("x-amz-bucket-object-lock-enabled"), "true") {
		create = a.objects.CreateObjectLockBucket
	}
	err = create(rq.ctx(), rq.bucket, region, rq.userName())
	// In us-east-1, AWS answers 200 to the owner re-creating a bucket
	// ("CreateBucket", Errors): only other regions say BucketAlreadyOwnedByYou.
	if errors.Is(err, s3err.BucketAlreadyOwnedByYou) && region == "" {
		err = nil
	}
	if err != nil {
		return err
	}
	rq.w.Header().Set("Location", "/"+rq.bucket)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucket serves DeleteBucket (DELETE /bucket).
func (a *api) deleteBucket(rq *request) error {
	if err := a.objects.DeleteBucket(rq.ctx(), rq.bucket); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// headBucket serves HeadBucket (HEAD /bucket).
func (a *api) headBucket(rq *request) error {
	b, err := a.objects.HeadBucket(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	rq.w.Header().Set("x-amz-bucket-region", a.bucketRegion(b))
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketLocation serves GetBucketLocation (GET /bucket?location).
// us-east-1 is reported as an empty constraint, as AWS does.
func (a *api) getBucketLocation(rq *request) error {
	b, err := a.objects.HeadBucket(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	res := locationConstraint{NS: s3NS}
	if r := a.bucketRegion(b); r != "us-east-1" {
		res.Value = r
	}
	writeXML(rq.w, http.StatusOK, res)
	return nil
}

// readXML decodes an XML request body of at most limit bytes into v.
// A body that is too long or not well-formed is MalformedXML; an empty
// body is allowed only when optional is set (v is then left unchanged).
func readXML(body io.Reader, limit int64, v any, optional bool) error {
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > limit {
		return s3err.MalformedXML.WithMessage("The XML you provided was larger than the maximum %d bytes allowed.", limit)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		if optional {
			return nil
		}
		return s3err.MalformedXML
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return s3err.MalformedXML
	}
	return nil
}
