package s3api

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"github.com/anode/anode/internal/s3err"
)

// maxCreateBucketBody bounds the CreateBucketConfiguration document.
const maxCreateBucketBody = 64 << 10

// listBuckets serves ListBuckets (GET /).
func (a *api) listBuckets(rq *request) error {
	buckets, err := a.objects.ListBuckets(rq.ctx())
	if err != nil {
		return err
	}
	prefix := rq.query("prefix")
	res := listAllMyBucketsResult{NS: s3NS, Owner: ownerOf(rq.auth.AccessKey), Prefix: prefix}
	res.Buckets = []bucketInfo{}
	for _, b := range buckets {
		if !strings.HasPrefix(b.Name, prefix) {
			continue
		}
		res.Buckets = append(res.Buckets, bucketInfo{
			Name:         b.Name,
			CreationDate: xmlTime(b.Created),
			BucketRegion: a.region,
		})
	}
	writeXML(rq.w, http.StatusOK, res)
	return nil
}

// createBucket serves CreateBucket (PUT /bucket).
func (a *api) createBucket(rq *request) error {
	var cfg createBucketConfiguration
	if err := readXML(rq.body, maxCreateBucketBody, &cfg, true); err != nil {
		return err
	}
	if lc := cfg.LocationConstraint; lc != "" && lc != a.region {
		return errIllegalLocationConstraint.WithMessage("The %s location constraint is incompatible for the region specific endpoint this request was sent to.", lc)
	}
	create := a.objects.CreateBucket
	if strings.EqualFold(rq.r.Header.Get("x-amz-bucket-object-lock-enabled"), "true") {
		create = a.objects.CreateObjectLockBucket
	}
	if err := create(rq.ctx(), rq.bucket); err != nil {
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
	if _, err := a.objects.HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return err
	}
	rq.w.Header().Set("x-amz-bucket-region", a.region)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketLocation serves GetBucketLocation (GET /bucket?location).
// us-east-1 is reported as an empty constraint, as AWS does.
func (a *api) getBucketLocation(rq *request) error {
	if _, err := a.objects.HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return err
	}
	res := locationConstraint{NS: s3NS}
	if a.region != "us-east-1" {
		res.Value = a.region
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
