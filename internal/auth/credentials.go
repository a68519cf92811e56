package auth

import (
	"context"
	"errors"

	"github.com/anode/anode/internal/s3err"
)

// ContextCredentials is a credential store whose lookups may fail for
// reasons other than an unknown key (a store that must reach a quorum
// first) and take the request's context. The Verifier prefers it over
// Credentials.SecretKey when Creds implements it.
type ContextCredentials interface {
	// LookupSecret returns the secret of an access key. An unknown,
	// disabled or expired key returns an error wrapping
	// ErrUnknownAccessKey (answered InvalidAccessKeyId); any other error
	// is returned to the client as is (an *s3err.Error such as
	// ServiceUnavailable, or InternalError).
	LookupSecret(ctx context.Context, accessKey string) (string, error)
}

// ErrUnknownAccessKey is returned by ContextCredentials for an access key
// that cannot sign requests.
var ErrUnknownAccessKey = errors.New("unknown access key")

// secretOf looks up the secret of accessKey.
func (v *Verifier) secretOf(ctx context.Context, accessKey string) (string, error) {
	if cc, ok := v.Creds.(ContextCredentials); ok {
		secret, err := cc.LookupSecret(ctx, accessKey)
		if errors.Is(err, ErrUnknownAccessKey) {
			return "", s3err.InvalidAccessKeyID
		}
		return secret, err
	}
	secret, ok := v.Creds.SecretKey(accessKey)
	if !ok {
		return "", s3err.InvalidAccessKeyID
	}
	return secret, nil
}
