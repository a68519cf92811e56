package auth

import (
	"crypto/sha256"
	"errors"
	"hash"
	"io"

	"github.com/anode/anode/internal/s3err"
)

// bodyError turns the errors of a request body that ends early into
// IncompleteBody: Go's server reports a body shorter than its
// Content-Length as io.ErrUnexpectedEOF.
func bodyError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errIncompleteBody
	}
	return err
}

// plainBody is an unsigned payload: the body as is, with S3 errors.
type plainBody struct{ body io.ReadCloser }

func (b *plainBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err != nil && err != io.EOF {
		err = bodyError(err)
	}
	return n, err
}

func (b *plainBody) Close() error { return b.body.Close() }

// hashedBody is a payload whose SHA-256 was signed: it hashes the bytes as
// they pass and, at the end, returns XAmzContentSHA256Mismatch instead of
// io.EOF when they are not the bytes that were signed.
type hashedBody struct {
	body io.ReadCloser
	h    hash.Hash
	want [32]byte
	err  error // sticky: once the end is judged, it stays judged
}

func newHashedBody(body io.ReadCloser, want [32]byte) *hashedBody {
	return &hashedBody{body: body, h: sha256.New(), want: want}
}

func (b *hashedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.body.Read(p)
	b.h.Write(p[:n])
	switch {
	case err == io.EOF:
		var got [32]byte
		b.h.Sum(got[:0])
		if got != b.want {
			err = s3err.XAmzContentSHA256Mismatch
		}
		b.err = err
	case err != nil:
		err = bodyError(err)
		b.err = err
	}
	return n, err
}

func (b *hashedBody) Close() error { return b.body.Close() }
