// Package s3err defines the errors that Anode reports to S3 clients: an AWS
// error code, the HTTP status AWS answers it with, and a human message.
//
// The package has no dependencies so that every layer (auth, object, meta)
// can return the error a client should see without knowing about HTTP
// handlers or XML. The s3api package renders these as S3 XML error documents.
package s3err

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an S3 error: the code and status AWS uses, and a message.
type Error struct {
	Code    string
	Status  int
	Message string
	// Fields are the extra elements some AWS errors carry in their XML
	// document (Region of AuthorizationHeaderMalformed, HeadersNotSigned
	// of AccessDenied, ...), in order.
	Fields []Field
}

// Field is an extra element of an error document.
type Field struct{ Name, Value string }

// WithField returns a copy of e with the element name=value added.
func (e *Error) WithField(name, value string) *Error {
	c := *e
	c.Fields = append(append([]Field(nil), e.Fields...), Field{name, value})
	return &c
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, s3err.NoSuchKey) works on errors made with WithMessage.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// WithMessage returns a copy of e with a more specific message.
func (e *Error) WithMessage(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// As returns the *Error inside err, or InternalError wrapping nothing when
// err is not an S3 error (its text is not shown to clients).
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return InternalError
}

func newErr(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// The errors below use the codes, statuses and (mostly) messages listed in
// the Amazon S3 API reference, "Error responses".
var (
	AccessDenied                      = newErr("AccessDenied", http.StatusForbidden, "Access Denied")
	AuthorizationHeaderMalformed      = newErr("AuthorizationHeaderMalformed", http.StatusBadRequest, "The authorization header is malformed.")
	AuthorizationQueryParametersError = newErr("AuthorizationQueryParametersError", http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter.")
	BadDigest                         = newErr("BadDigest", http.StatusBadRequest, "The Content-MD5 or checksum value that you specified did not match what the server received.")
	BucketAlreadyExists               = newErr("BucketAlreadyExists", http.StatusConflict, "The requested bucket name is not available.")
	BucketAlreadyOwnedByYou           = newErr("BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it.")
	BucketNotEmpty                    = newErr("BucketNotEmpty", http.StatusConflict, "The bucket that you tried to delete is not empty.")
	ConditionalRequestConflict        = newErr("ConditionalRequestConflict", http.StatusConflict, "A conflicting operation occurred. If using PutObject you can retry the request.")
	EntityTooLarge                    = newErr("EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size.")
	EntityTooSmall                    = newErr("EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size.")
	ExpiredToken                      = newErr("ExpiredToken", http.StatusBadRequest, "The provided token has expired.")
	IncompleteBody                    = newErr("IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	InternalError                     = newErr("InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again.")
	InvalidAccessKeyID                = newErr("InvalidAccessKeyId", http.StatusForbidden, "The AWS access key ID you provided does not exist in our records.")
	InvalidArgument                   = newErr("InvalidArgument", http.StatusBadRequest, "Invalid Argument")
	InvalidBucketName                 = newErr("InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid.")
	InvalidBucketState                = newErr("InvalidBucketState", http.StatusConflict, "The request is not valid with the current state of the bucket.")
	InvalidDigest                     = newErr("InvalidDigest", http.StatusBadRequest, "The Content-MD5 you specified is not valid.")
	InvalidPart                       = newErr("InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	InvalidPartOrder                  = newErr("InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. Parts must be ordered by part number.")
	InvalidRange                      = newErr("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable")
	InvalidRequest                    = newErr("InvalidRequest", http.StatusBadRequest, "Invalid Request")
	InvalidStorageClass               = newErr("InvalidStorageClass", http.StatusBadRequest, "The storage class you specified is not valid.")
	InvalidTag                        = newErr("InvalidTag", http.StatusBadRequest, "The tag provided was not a valid tag.")
	KeyTooLongError                   = newErr("KeyTooLongError", http.StatusBadRequest, "Your key is too long.")
	MalformedXML                      = newErr("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	MetadataTooLarge                  = newErr("MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size.")
	MethodNotAllowed                  = newErr("MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource.")
	MissingContentLength              = newErr("MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header.")
	MissingSecurityHeader             = newErr("MissingSecurityHeader", http.StatusBadRequest, "Your request is missing a required header.")
	NoSuchBucket                      = newErr("NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist.")
	NoSuchBucketPolicy                = newErr("NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist.")
	NoSuchCORSConfiguration           = newErr("NoSuchCORSConfiguration", http.StatusNotFound, "The CORS configuration does not exist.")
	NoSuchKey                         = newErr("NoSuchKey", http.StatusNotFound, "The specified key does not exist.")
	NoSuchTagSet                      = newErr("NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist.")
	NoSuchUpload                      = newErr("NoSuchUpload", http.StatusNotFound, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.")
	NoSuchVersion                     = newErr("NoSuchVersion", http.StatusNotFound, "The specified version does not exist.")
	NotImplemented                    = newErr("NotImplemented", http.StatusNotImplemented, "A header or query you provided implies functionality that is not implemented.")
	NotModified                       = newErr("NotModified", http.StatusNotModified, "Not Modified")
	PreconditionFailed                = newErr("PreconditionFailed", http.StatusPreconditionFailed, "At least one of the preconditions you specified did not hold.")
	RequestTimeTooSkewed              = newErr("RequestTimeTooSkewed", http.StatusForbidden, "The difference between the request time and the server's time is too large.")
	RequestTimeout                    = newErr("RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period.")
	ServiceUnavailable                = newErr("ServiceUnavailable", http.StatusServiceUnavailable, "Reduce your request rate.")
	SignatureDoesNotMatch             = newErr("SignatureDoesNotMatch", http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	XAmzContentSHA256Mismatch         = newErr("XAmzContentSHA256Mismatch", http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.")
)
