package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// Server-side encryption headers (docs/encryption.md).
const (
	hdrSSE          = "x-amz-server-side-encryption"
	hdrKMSKeyID     = "x-amz-server-side-encryption-aws-kms-key-id"
	hdrSSEContext   = "x-amz-server-side-encryption-context"
	hdrBucketKey    = "x-amz-server-side-encryption-bucket-key-enabled"
	hdrSSECAlgo     = "x-amz-server-side-encryption-customer-algorithm"
	hdrSSECKey      = "x-amz-server-side-encryption-customer-key"
	hdrSSECKeyMD5   = "x-amz-server-side-encryption-customer-key-md5"
	hdrSrcSSECAlgo  = "x-amz-copy-source-server-side-encryption-customer-algorithm"
	hdrSrcSSECKey   = "x-amz-copy-source-server-side-encryption-customer-key"
	hdrSrcSSECMD5   = "x-amz-copy-source-server-side-encryption-customer-key-md5"
	sseHeaderPrefix = "x-amz-server-side-encryption"
)

// Which groups of encryption headers an operation takes.
const (
	sseWrite      = 1 << iota // x-amz-server-side-encryption, -aws-kms-key-id, -context, -bucket-key-enabled
	sseCustomer               // x-amz-server-side-encryption-customer-*
	sseCopySource             // x-amz-copy-source-server-side-encryption-customer-*
)

var sseOps = map[string]int{
	"PutObject":             sseWrite | sseCustomer,
	"CopyObject":            sseWrite | sseCustomer | sseCopySource,
	"CreateMultipartUpload": sseWrite | sseCustomer,
	"UploadPart":            sseCustomer,
	"UploadPartCopy":        sseCustomer | sseCopySource,
	// minio-go repeats the upload's SSE headers on the completion (to
	// servers other than AWS): they are checked against the upload.
	"CompleteMultipartUpload": sseWrite | sseCustomer,
	"GetObject":               sseCustomer,
	"HeadObject":              sseCustomer,
	"SelectObjectContent":     sseCustomer,
}

var sseWriteHeaders = map[string]bool{hdrSSE: true, hdrKMSKeyID: true, hdrSSEContext: true, hdrBucketKey: true}
var sseCustomerHeaders = map[string]bool{hdrSSECAlgo: true, hdrSSECKey: true, hdrSSECKeyMD5: true}
var sseSourceHeaders = map[string]bool{hdrSrcSSECAlgo: true, hdrSrcSSECKey: true, hdrSrcSSECMD5: true}

// sseRequest is what a request's encryption headers say.
type sseRequest struct {
	// write is the encryption a write asks for (nil: the bucket default).
	write *object.SSE
	// customerKey is the SSE-C key (and its MD5, echoed in answers).
	customerKey []byte
	customerMD5 string
	// srcKey is the copy source's SSE-C key.
	srcKey []byte
}

// parseSSE reads and checks a request's encryption headers. An operation
// that does not use a header it was sent refuses it: nothing the client
// asked for is ignored.
func (a *api) parseSSE(rq *request) (*sseRequest, error) {
	h := rq.r.Header
	accepts := sseOps[rq.op]
	for name := range h {
		n := strings.ToLower(name)
		if !strings.HasPrefix(n, sseHeaderPrefix) && !strings.HasPrefix(n, "x-amz-copy-source-server-side-encryption") {
			continue
		}
		switch {
		case sseWriteHeaders[n]:
			if accepts&sseWrite == 0 {
				return nil, s3err.InvalidArgument.WithMessage("The %s header is not supported for this operation.", n)
			}
		case sseCustomerHeaders[n]:
			if accepts&sseCustomer == 0 {
				return nil, s3err.InvalidArgument.WithMessage("The %s header is not supported for this operation.", n)
			}
		case sseSourceHeaders[n]:
			if accepts&sseCopySource == 0 {
				return nil, s3err.InvalidArgument.WithMessage("The %s header is not supported for this operation.", n)
			}
		default:
			return nil, s3err.NotImplemented.WithMessage("The %s header is not implemented.", n)
		}
	}
	out := &sseRequest{}
	var err error
	if out.customerKey, out.customerMD5, err = customerKey(h, hdrSSECAlgo, hdrSSECKey, hdrSSECKeyMD5); err != nil {
		return nil, err
	}
	if out.srcKey, _, err = customerKey(h, hdrSrcSSECAlgo, hdrSrcSSECKey, hdrSrcSSECMD5); err != nil {
		return nil, err
	}
	if (out.customerKey != nil || out.srcKey != nil) && rq.r.TLS == nil && !a.allowSSECOverHTTP {
		return nil, s3err.InvalidRequest.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
	}
	mode := h.Get(hdrSSE)
	switch mode {
	case "", object.ModeS3, object.ModeKMS:
	case "aws:kms:dsse":
		return nil, s3err.NotImplemented.WithMessage("Dual-layer server-side encryption (aws:kms:dsse) is not implemented.")
	default:
		return nil, s3err.InvalidArgument.WithMessage("The encryption method specified is not supported")
	}
	if mode != object.ModeKMS && (h.Get(hdrKMSKeyID) != "" || h.Get(hdrSSEContext) != "") {
		return nil, s3err.InvalidArgument.WithMessage("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
	}
	bucketKey := false
	switch v := strings.ToLower(h.Get(hdrBucketKey)); v {
	case "":
	case "true", "false":
		if mode == "" {
			return nil, s3err.InvalidArgument.WithMessage("The %s header needs the %s header.", hdrBucketKey, hdrSSE)
		}
		bucketKey = v == "true"
	default:
		return nil, s3err.InvalidArgument.WithMessage("The %s header must be true or false.", hdrBucketKey)
	}
	if ctx := h.Get(hdrSSEContext); ctx != "" {
		if err := object.CheckEncryptionContext(ctx); err != nil {
			return nil, err
		}
	}
	switch {
	case mode != "" && out.customerKey != nil:
		return nil, s3err.InvalidArgument.WithMessage("Server Side Encryption with Customer provided key is incompatible with the encryption method specified")
	case mode != "":
		out.write = &object.SSE{Mode: mode, KMSKeyID: h.Get(hdrKMSKeyID), Context: h.Get(hdrSSEContext), BucketKey: bucketKey}
	case out.customerKey != nil && accepts&sseWrite != 0:
		out.write = &object.SSE{Mode: object.ModeC, CustomerKey: out.customerKey}
	}
	return out, nil
}

// customerKey reads one set of SSE-C headers: algorithm (AES256), key
// (base64 of 32 bytes) and the key's MD5, all three or none.
func customerKey(h http.Header, algoName, keyName, md5Name string) ([]byte, string, error) {
	algo, key, sum := h.Get(algoName), h.Get(keyName), h.Get(md5Name)
	if algo == "" && key == "" && sum == "" {
		return nil, "", nil
	}
	if algo == "" {
		return nil, "", s3err.InvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.")
	}
	if algo != "AES256" {
		return nil, "", s3err.InvalidEncryptionAlgorithm
	}
	if key == "" {
		return nil, "", s3err.InvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.")
	}
	k, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(k) != 32 {
		return nil, "", s3err.InvalidArgument.WithMessage("The secret key was invalid for the specified algorithm.")
	}
	if sum == "" {
		return nil, "", s3err.InvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.")
	}
	want := md5.Sum(k)
	if base64.StdEncoding.EncodeToString(want[:]) != sum {
		return nil, "", s3err.InvalidArgument.WithMessage("The calculated MD5 hash of the key did not match the hash that was provided.")
	}
	return k, sum, nil
}

// setSSEHeaders writes the encryption headers S3 answers with.
func setSSEHeaders(h http.Header, e *object.EncryptionInfo, customerMD5 string) {
	if e == nil {
		return
	}
	if e.Mode == object.ModeC {
		h.Set(hdrSSECAlgo, "AES256")
		setIf(h, hdrSSECKeyMD5, customerMD5)
		return
	}
	h.Set(hdrSSE, e.Mode)
	if e.Mode == object.ModeKMS {
		h.Set(hdrKMSKeyID, e.KMSKeyID)
		setIf(h, hdrSSEContext, e.Context)
	}
	if e.BucketKey {
		h.Set(hdrBucketKey, "true")
	}
}

// Bucket default encryption (PutBucketEncryption and friends).

type sseConfiguration struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration"`
	NS      string    `xml:"xmlns,attr,omitempty"`
	Rules   []sseRule `xml:"Rule"`
}

type sseRule struct {
	Default *struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	} `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled *bool `xml:"BucketKeyEnabled,omitempty"`
}

func (a *api) putBucketEncryption(rq *request) error {
	var doc sseConfiguration
	if err := readXML(rq.body, maxConfigBody, &doc, false); err != nil {
		return err
	}
	if len(doc.Rules) != 1 || doc.Rules[0].Default == nil {
		return s3err.MalformedXML
	}
	r := doc.Rules[0]
	enc := object.BucketEncryption{Algorithm: r.Default.SSEAlgorithm, KMSKeyID: r.Default.KMSMasterKeyID}
	if r.BucketKeyEnabled != nil {
		enc.BucketKey = *r.BucketKeyEnabled
	}
	switch enc.Algorithm {
	case object.ModeS3:
		if enc.KMSKeyID != "" {
			return s3err.InvalidArgument.WithMessage("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms")
		}
	case object.ModeKMS:
	case "aws:kms:dsse":
		return s3err.NotImplemented.WithMessage("Dual-layer server-side encryption (aws:kms:dsse) is not implemented.")
	default:
		return s3err.MalformedXML
	}
	return a.objects.PutBucketEncryption(rq.ctx(), rq.bucket, &enc)
}

func (a *api) getBucketEncryption(rq *request) error {
	enc, err := a.objects.GetBucketEncryption(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	rule := sseRule{BucketKeyEnabled: &enc.BucketKey}
	rule.Default = &struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	}{enc.Algorithm, enc.KMSKeyID}
	writeXML(rq.w, http.StatusOK, sseConfiguration{NS: s3NS, Rules: []sseRule{rule}})
	return nil
}

func (a *api) deleteBucketEncryption(rq *request) error {
	if err := a.objects.PutBucketEncryption(rq.ctx(), rq.bucket, nil); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}
