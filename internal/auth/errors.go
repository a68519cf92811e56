package auth

import "github.com/anode/anode/internal/s3err"

// The errors below carry the codes and, where AWS documents or returns
// one, the message AWS S3 answers with.
var (
	errAnonymous = s3err.AccessDenied.WithMessage("Access Denied")

	errBothAuthMechanisms = s3err.InvalidArgument.WithMessage(
		"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")

	errUnsupportedMechanism = s3err.InvalidRequest.WithMessage(
		"The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")

	errMissingDate = s3err.AccessDenied.WithMessage(
		"AWS authentication requires a valid Date or x-amz-date header")

	errMissingContentSHA256 = s3err.InvalidRequest.WithMessage(
		"Missing required header for this request: x-amz-content-sha256")

	errBadContentSHA256 = s3err.InvalidArgument.WithMessage(
		"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")

	errBadDecodedLength = s3err.InvalidArgument.WithMessage(
		"x-amz-decoded-content-length must be a non-negative integer")

	errHeadersNotSigned = s3err.AccessDenied.WithMessage("There were headers present in the request which were not signed")

	errExpired = s3err.AccessDenied.WithMessage("Request has expired")

	errNotYetValid = s3err.AccessDenied.WithMessage("Request is not valid yet")

	errPresignMissingParams = s3err.AuthorizationQueryParametersError.WithMessage(
		"Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")

	errPresignAlgorithm = s3err.AuthorizationQueryParametersError.WithMessage(
		"X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")

	errPresignExpiresNumber = s3err.AuthorizationQueryParametersError.WithMessage(
		"X-Amz-Expires should be a number")

	errPresignExpiresNegative = s3err.AuthorizationQueryParametersError.WithMessage(
		"X-Amz-Expires must be non-negative")

	errPresignExpiresTooLong = s3err.AuthorizationQueryParametersError.WithMessage(
		"X-Amz-Expires must be less than a week (in seconds) that is; 604800")

	errPresignDate = s3err.AuthorizationQueryParametersError.WithMessage(
		"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")

	errPresignStreaming = s3err.InvalidRequest.WithMessage(
		"Presigned requests cannot carry an aws-chunked streaming payload")

	// Body errors: returned by Result.Body.Read.
	errIncompleteBody = s3err.IncompleteBody.WithMessage(
		"The request body ended before the end of the payload it announced")

	errChunkSignature = s3err.SignatureDoesNotMatch.WithMessage(
		"The chunk signature we calculated does not match the signature you provided")

	errTrailerSignature = s3err.SignatureDoesNotMatch.WithMessage(
		"The trailer signature we calculated does not match the signature you provided")

	errChunkFormat = s3err.InvalidRequest.WithMessage(
		"The aws-chunked payload is malformed")

	errChunkTooLarge = s3err.InvalidRequest.WithMessage(
		"An aws-chunked chunk is larger than the 16 MiB this server accepts")

	errDecodedTooLong = s3err.InvalidRequest.WithMessage(
		"The aws-chunked payload is longer than x-amz-decoded-content-length")

	errTrailerFormat = s3err.InvalidRequest.WithMessage(
		"The aws-chunked trailer is malformed")
)

// malformed returns the error for a badly formed signature: in the
// Authorization header or in a presigned URL's query.
func malformed(presigned bool, format string, args ...any) *s3err.Error {
	if presigned {
		return s3err.AuthorizationQueryParametersError.WithMessage(format, args...)
	}
	return s3err.AuthorizationHeaderMalformed.WithMessage("The authorization header is malformed; "+format, args...)
}
