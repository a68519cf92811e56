package s3api

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// Bucket policies and public access blocks. The policy is stored as the
// JSON document the client sent, after it parsed; authorization (authz.go)
// evaluates it with the requester's identity policies.

var errMalformedPolicy = &s3err.Error{Code: "MalformedPolicy", Status: http.StatusBadRequest, Message: "Policies must be valid JSON and the first byte must be '{'"}

// putBucketPolicy serves PutBucketPolicy (PUT /bucket?policy).
func (a *api) putBucketPolicy(rq *request) error {
	if a.iam == nil {
		return s3err.NotImplemented.WithMessage("Bucket policies need authorization, which this server does not run.")
	}
	if rq.r.Header.Get("x-amz-confirm-remove-self-bucket-access") != "" {
		return s3err.NotImplemented.WithMessage("x-amz-confirm-remove-self-bucket-access is not supported.")
	}
	data, err := io.ReadAll(io.LimitReader(rq.body, iam.MaxBucketPolicySize+1))
	if err != nil {
		return err
	}
	if len(data) > iam.MaxBucketPolicySize {
		return errMalformedPolicy.WithMessage("Policies cannot be larger than %d bytes", iam.MaxBucketPolicySize)
	}
	if err := a.verifyBodyDigests(rq, data); err != nil {
		return err
	}
	p, err := iam.Parse(data, iam.BucketPolicy)
	if err != nil {
		return errMalformedPolicy.WithMessage("%s", err.Error())
	}
	if err := checkPolicyResources(p, rq.bucket); err != nil {
		return err
	}
	public := iam.IsPublic(p)
	err = a.objects.PutBucketPolicy(rq.ctx(), rq.bucket, data, func(pab *meta.PublicAccessBlock) error {
		if public && pab != nil && pab.BlockPublicPolicy {
			return errAccessDenied
		}
		return nil
	})
	if err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkPolicyResources refuses a bucket policy that names resources
// outside its bucket or actions of another service, as AWS does.
func checkPolicyResources(p *iam.Policy, bucket string) error {
	arn := "arn:aws:s3:::" + bucket
	for _, s := range p.Statements {
		for _, r := range append(append([]string{}, s.Resource...), s.NotResource...) {
			if r != arn && !strings.HasPrefix(r, arn+"/") {
				return errMalformedPolicy.WithMessage("Policy has invalid resource")
			}
		}
		for _, act := range append(append([]string{}, s.Action...), s.NotAction...) {
			if act != "*" && !strings.HasPrefix(strings.ToLower(act), "s3:") {
				return errMalformedPolicy.WithMessage("Policy has invalid action")
			}
		}
	}
	return nil
}

// getBucketPolicy serves GetBucketPolicy (GET /bucket?policy).
func (a *api) getBucketPolicy(rq *request) error {
	doc, err := a.objects.GetBucketPolicy(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	rq.w.Header().Set("Content-Type", "application/json")
	rq.w.WriteHeader(http.StatusOK)
	rq.w.Write(doc)
	return nil
}

// deleteBucketPolicy serves DeleteBucketPolicy (DELETE /bucket?policy).
func (a *api) deleteBucketPolicy(rq *request) error {
	if err := a.objects.PutBucketPolicy(rq.ctx(), rq.bucket, nil, nil); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

type policyStatus struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	NS       string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus serves GetBucketPolicyStatus (GET /bucket?policyStatus).
func (a *api) getBucketPolicyStatus(rq *request) error {
	doc, err := a.objects.GetBucketPolicy(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	p, err := iam.Parse(doc, iam.BucketPolicy)
	writeXML(rq.w, http.StatusOK, policyStatus{NS: s3NS, IsPublic: err == nil && iam.IsPublic(p)})
	return nil
}

type publicAccessBlockConfiguration struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	NS                    string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

// putPublicAccessBlock serves PutPublicAccessBlock (PUT /bucket?publicAccessBlock).
func (a *api) putPublicAccessBlock(rq *request) error {
	var cfg publicAccessBlockConfiguration
	if err := readXML(rq.body, maxConfigBody, &cfg, false); err != nil {
		return err
	}
	err := a.objects.PutPublicAccessBlock(rq.ctx(), rq.bucket, &meta.PublicAccessBlock{
		BlockPublicAcls: cfg.BlockPublicAcls, IgnorePublicAcls: cfg.IgnorePublicAcls,
		BlockPublicPolicy: cfg.BlockPublicPolicy, RestrictPublicBuckets: cfg.RestrictPublicBuckets,
	})
	if err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// getPublicAccessBlock serves GetPublicAccessBlock (GET /bucket?publicAccessBlock).
func (a *api) getPublicAccessBlock(rq *request) error {
	pab, err := a.objects.GetPublicAccessBlock(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	writeXML(rq.w, http.StatusOK, publicAccessBlockConfiguration{NS: s3NS,
		BlockPublicAcls: pab.BlockPublicAcls, IgnorePublicAcls: pab.IgnorePublicAcls,
		BlockPublicPolicy: pab.BlockPublicPolicy, RestrictPublicBuckets: pab.RestrictPublicBuckets})
	return nil
}

// deletePublicAccessBlock serves DeletePublicAccessBlock (DELETE /bucket?publicAccessBlock).
func (a *api) deletePublicAccessBlock(rq *request) error {
	if err := a.objects.PutPublicAccessBlock(rq.ctx(), rq.bucket, nil); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}
