package s3api

import (
	"encoding/xml"
	"net/http"
	"time"

	"github.com/anode/anode/internal/lifecycle"
	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// Lifecycle configuration: AWS's rule language translated to and from
// lifecycle.Config. The rules run in the background (internal/lifecycle).

var lifecycleRoutes = []route{
	{method: http.MethodGet, level: levelBucket, query: []string{"lifecycle"}, op: "GetBucketLifecycleConfiguration", fn: (*api).getBucketLifecycle},
	{method: http.MethodPut, level: levelBucket, query: []string{"lifecycle"}, op: "PutBucketLifecycleConfiguration", fn: (*api).putBucketLifecycle},
	{method: http.MethodDelete, level: levelBucket, query: []string{"lifecycle"}, op: "DeleteBucketLifecycle", fn: (*api).deleteBucketLifecycle},
}

func init() { routes = append(append([]route(nil), lifecycleRoutes...), routes...) }

// maxLifecycleBody bounds the document: 1000 rules of a few hundred bytes.
const maxLifecycleBody = 1 << 20

type lifecycleConfiguration struct {
	XMLName xml.Name        `xml:"LifecycleConfiguration"`
	NS      string          `xml:"xmlns,attr,omitempty"`
	Rules   []lifecycleRule `xml:"Rule"`
}

type lifecycleRule struct {
	ID                             string                `xml:"ID,omitempty"`
	Filter                         *lifecycleFilter      `xml:"Filter,omitempty"`
	Prefix                         *string               `xml:"Prefix,omitempty"` // legacy form, read only
	Status                         string                `xml:"Status"`
	Expiration                     *lifecycleExpiration  `xml:"Expiration,omitempty"`
	NoncurrentVersionExpiration    *noncurrentExpiration `xml:"NoncurrentVersionExpiration,omitempty"`
	AbortIncompleteMultipartUpload *abortIncomplete      `xml:"AbortIncompleteMultipartUpload,omitempty"`
	Transitions                    []struct{}            `xml:"Transition,omitempty"`
	NoncurrentTransitions          []struct{}            `xml:"NoncurrentVersionTransition,omitempty"`
}

type lifecycleFilter struct {
	Prefix                *string       `xml:"Prefix,omitempty"`
	Tag                   *tagXML       `xml:"Tag,omitempty"`
	ObjectSizeGreaterThan *int64        `xml:"ObjectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64        `xml:"ObjectSizeLessThan,omitempty"`
	And                   *lifecycleAnd `xml:"And,omitempty"`
}

type lifecycleAnd struct {
	Prefix                *string  `xml:"Prefix,omitempty"`
	Tags                  []tagXML `xml:"Tag"`
	ObjectSizeGreaterThan *int64   `xml:"ObjectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64   `xml:"ObjectSizeLessThan,omitempty"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type lifecycleExpiration struct {
	Date                      string `xml:"Date,omitempty"`
	Days                      *int   `xml:"Days,omitempty"`
	ExpiredObjectDeleteMarker *bool  `xml:"ExpiredObjectDeleteMarker,omitempty"`
}

type noncurrentExpiration struct {
	NoncurrentDays          *int `xml:"NoncurrentDays,omitempty"`
	NewerNoncurrentVersions *int `xml:"NewerNoncurrentVersions,omitempty"`
}

type abortIncomplete struct {
	DaysAfterInitiation *int `xml:"DaysAfterInitiation,omitempty"`
}

func positive(p *int, what string) (int, error) {
	if p == nil {
		return 0, nil
	}
	if *p <= 0 {
		return 0, s3err.InvalidArgument.WithMessage("'%s' must be a positive integer", what)
	}
	return *p, nil
}

// parseLifecycle translates the XML document into rules.
func parseLifecycle(doc *lifecycleConfiguration) (*lifecycle.Config, error) {
	cfg := &lifecycle.Config{}
	for _, x := range doc.Rules {
		if len(x.Transitions) > 0 || len(x.NoncurrentTransitions) > 0 {
			return nil, s3err.NotImplemented.WithMessage("Lifecycle transitions are not implemented: Anode has one storage class.")
		}
		r := lifecycle.Rule{ID: x.ID}
		switch x.Status {
		case "Enabled":
			r.Enabled = true
		case "Disabled":
		default:
			return nil, s3err.MalformedXML
		}
		if x.Filter != nil && x.Prefix != nil {
			return nil, s3err.MalformedXML
		}
		if x.Prefix != nil {
			r.Filter.Prefix = *x.Prefix
		}
		if f := x.Filter; f != nil {
			n := 0
			for _, set := range []bool{f.Prefix != nil, f.Tag != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil, f.And != nil} {
				if set {
					n++
				}
			}
			if n > 1 {
				return nil, s3err.MalformedXML
			}
			prefix, tags, gt, lt := f.Prefix, []tagXML(nil), f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
			if f.Tag != nil {
				tags = []tagXML{*f.Tag}
			}
			if a := f.And; a != nil {
				prefix, tags, gt, lt = a.Prefix, a.Tags, a.ObjectSizeGreaterThan, a.ObjectSizeLessThan
			}
			if prefix != nil {
				r.Filter.Prefix = *prefix
			}
			for _, t := range tags {
				if r.Filter.Tags == nil {
					r.Filter.Tags = map[string]string{}
				}
				if _, dup := r.Filter.Tags[t.Key]; dup {
					return nil, s3err.InvalidRequest.WithMessage("Duplicate Tag Keys are not allowed.")
				}
				r.Filter.Tags[t.Key] = t.Value
			}
			if gt != nil {
				r.Filter.SizeGreaterThan, r.Filter.HasSizeGreaterThan = *gt, true
			}
			if lt != nil {
				if *lt <= 0 {
					return nil, s3err.InvalidArgument.WithMessage("'ObjectSizeLessThan' must be a positive integer")
				}
				r.Filter.SizeLessThan = *lt
			}
		}
		if e := x.Expiration; e != nil {
			var err error
			if r.ExpirationDays, err = positive(e.Days, "Days"); err != nil {
				return nil, err
			}
			if e.Date != "" {
				t, err := time.Parse(time.RFC3339Nano, e.Date)
				if err != nil {
					return nil, s3err.InvalidArgument.WithMessage("'Date' must be in ISO 8601 format")
				}
				if t.Unix()%86400 != 0 || t.Nanosecond() != 0 {
					return nil, s3err.InvalidArgument.WithMessage("'Date' must be at midnight GMT")
				}
				r.ExpirationDate = t.Unix()
			}
			if e.ExpiredObjectDeleteMarker != nil {
				if e.Days != nil || e.Date != "" {
					return nil, s3err.MalformedXML
				}
				r.ExpiredObjectDeleteMarker = *e.ExpiredObjectDeleteMarker
			}
			if e.Days == nil && e.Date == "" && e.ExpiredObjectDeleteMarker == nil {
				return nil, s3err.MalformedXML
			}
		}
		if n := x.NoncurrentVersionExpiration; n != nil {
			var err error
			if r.NoncurrentDays, err = positive(n.NoncurrentDays, "NoncurrentDays"); err != nil {
				return nil, err
			}
			if r.NewerNoncurrentVersions, err = positive(n.NewerNoncurrentVersions, "NewerNoncurrentVersions"); err != nil {
				return nil, err
			}
			if n.NoncurrentDays == nil {
				return nil, s3err.MalformedXML
			}
		}
		if a := x.AbortIncompleteMultipartUpload; a != nil {
			var err error
			if r.AbortDays, err = positive(a.DaysAfterInitiation, "DaysAfterInitiation"); err != nil {
				return nil, err
			}
			if a.DaysAfterInitiation == nil {
				return nil, s3err.MalformedXML
			}
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// lifecycleXML renders rules as AWS does: the filter in its simplest form.
func lifecycleXML(cfg *lifecycle.Config) lifecycleConfiguration {
	doc := lifecycleConfiguration{NS: s3NS}
	for _, r := range cfg.Rules {
		x := lifecycleRule{ID: r.ID, Status: "Disabled"}
		if r.Enabled {
			x.Status = "Enabled"
		}
		f := r.Filter
		var tags []tagXML
		for _, k := range sortedKeys(f.Tags) {
			tags = append(tags, tagXML{Key: k, Value: f.Tags[k]})
		}
		var gt, lt *int64
		if f.HasSizeGreaterThan {
			gt = &f.SizeGreaterThan
		}
		if f.SizeLessThan != 0 {
			lt = &f.SizeLessThan
		}
		n := len(tags)
		if f.Prefix != "" {
			n++
		}
		if gt != nil {
			n++
		}
		if lt != nil {
			n++
		}
		lf := &lifecycleFilter{}
		switch {
		case n > 1:
			lf.And = &lifecycleAnd{Tags: tags, ObjectSizeGreaterThan: gt, ObjectSizeLessThan: lt}
			if f.Prefix != "" {
				lf.And.Prefix = &f.Prefix
			}
		case len(tags) == 1:
			lf.Tag = &tags[0]
		case gt != nil:
			lf.ObjectSizeGreaterThan = gt
		case lt != nil:
			lf.ObjectSizeLessThan = lt
		default:
			p := f.Prefix
			lf.Prefix = &p
		}
		x.Filter = lf
		switch {
		case r.ExpirationDays > 0:
			d := r.ExpirationDays
			x.Expiration = &lifecycleExpiration{Days: &d}
		case r.ExpirationDate != 0:
			x.Expiration = &lifecycleExpiration{Date: time.Unix(r.ExpirationDate, 0).UTC().Format(lockTimeFormat)}
		case r.ExpiredObjectDeleteMarker:
			t := true
			x.Expiration = &lifecycleExpiration{ExpiredObjectDeleteMarker: &t}
		}
		if r.NoncurrentDays > 0 {
			nd := r.NoncurrentDays
			x.NoncurrentVersionExpiration = &noncurrentExpiration{NoncurrentDays: &nd}
			if r.NewerNoncurrentVersions > 0 {
				nn := r.NewerNoncurrentVersions
				x.NoncurrentVersionExpiration.NewerNoncurrentVersions = &nn
			}
		}
		if r.AbortDays > 0 {
			ad := r.AbortDays
			x.AbortIncompleteMultipartUpload = &abortIncomplete{DaysAfterInitiation: &ad}
		}
		doc.Rules = append(doc.Rules, x)
	}
	return doc
}

// getBucketLifecycle serves GET /bucket?lifecycle.
func (a *api) getBucketLifecycle(rq *request) error {
	cfg, err := a.objects.BucketLifecycle(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	writeXML(rq.w, http.StatusOK, lifecycleXML(cfg))
	return nil
}

// putBucketLifecycle serves PUT /bucket?lifecycle.
func (a *api) putBucketLifecycle(rq *request) error {
	if !hasIntegrityHeader(rq.r.Header) {
		return s3err.InvalidRequest.WithMessage("Missing required header for this request: Content-MD5")
	}
	data, err := readLimited(rq, maxLifecycleBody)
	if err != nil {
		return err
	}
	if err := a.verifyBodyDigests(rq, data); err != nil {
		return err
	}
	var doc lifecycleConfiguration
	if err := xml.Unmarshal(data, &doc); err != nil {
		return s3err.MalformedXML
	}
	cfg, err := parseLifecycle(&doc)
	if err != nil {
		return err
	}
	if err := a.objects.SetBucketLifecycle(rq.ctx(), rq.bucket, cfg); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucketLifecycle serves DELETE /bucket?lifecycle.
func (a *api) deleteBucketLifecycle(rq *request) error {
	if err := a.objects.SetBucketLifecycle(rq.ctx(), rq.bucket, nil); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// setExpirationHeader writes x-amz-expiration for an object a lifecycle
// rule will expire.
func setExpirationHeader(h http.Header, e *object.Expiration) {
	if e == nil {
		return
	}
	h.Set("x-amz-expiration", "expiry-date=\""+e.Date.UTC().Format(http.TimeFormat)+"\", rule-id=\""+e.RuleID+"\"")
}
