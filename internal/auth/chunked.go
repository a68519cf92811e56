package auth

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/anode/anode/internal/s3err"
)

// Limits on aws-chunked framing. Clients use chunks of 8 KiB to 1 MiB
// (64 KiB for aws-sdk-go-v2 and minio-go); anything far beyond is refused
// rather than trusted.
const (
	// MaxChunkSize is the largest aws-chunked chunk accepted.
	MaxChunkSize = 16 << 20
	// maxChunkLine bounds a chunk header line ("size;chunk-signature=...")
	// and a trailer line.
	maxChunkLine = 4096
	// maxTrailerLines bounds the number of lines in a trailer.
	maxTrailerLines = 16
	// readBufferSize is the read buffer of the decoder. Data is copied
	// from it straight to the caller, never gathered: memory stays at
	// this buffer whatever the chunk size.
	readBufferSize = 64 << 10
)

// emptySHA256Hex is hex(sha256("")), part of every chunk's string to sign.
const emptySHA256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// chunkSigner holds what chunk signatures are computed from: the signing
// key, the request's date and scope, and the seed signature (the request's
// own), which the first chunk chains from.
type chunkSigner struct {
	key     [32]byte
	amzDate string
	scope   string
	seed    [32]byte
}

// chunkedReader decodes an aws-chunked body:
//
//	hex-size[;chunk-signature=sig]\r\n data \r\n   (repeated)
//	0[;chunk-signature=sig]\r\n                    (final chunk)
//	name:value\r\n ... [x-amz-trailer-signature:sig\r\n]  (trailer, if any)
//	\r\n
//
// It returns io.EOF only once the whole stream is read and verified: every
// chunk signature, the decoded length, and the trailer and its signature.
// Data of a chunk reaches the caller before that chunk's signature is
// checked; a bad signature then fails the next Read, before io.EOF.
type chunkedReader struct {
	body io.ReadCloser
	br   *bufio.Reader

	signer     *chunkSigner // nil for unsigned chunks
	hasTrailer bool
	announced  []string // trailer names from x-amz-trailer, lower-case
	decodedLen int64    // from x-amz-decoded-content-length, or -1
	total      int64    // decoded bytes announced by chunk headers so far
	remaining  int64    // bytes left in the current chunk's data
	inChunk    bool     // a data chunk was started and not yet closed
	chunkSig   [32]byte // the current chunk's signature, as sent
	prevSig    [32]byte
	mac        hash.Hash // HMAC-SHA256 under the signing key
	sha        hash.Hash // SHA-256 of the current chunk's data
	scratch    []byte
	trailers   http.Header
	done       bool
	err        error // sticky
}

func newChunkedReader(body io.ReadCloser, decodedLen int64, signer *chunkSigner, hasTrailer bool, announced []string) *chunkedReader {
	c := &chunkedReader{
		body:       body,
		br:         bufReaders.Get().(*bufio.Reader),
		signer:     signer,
		hasTrailer: hasTrailer,
		decodedLen: decodedLen,
	}
	c.br.Reset(body)
	for _, v := range announced {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				c.announced = append(c.announced, name)
			}
		}
	}
	if signer != nil {
		c.prevSig = signer.seed
		c.mac = hmac.New(sha256.New, signer.key[:])
		c.sha = sha256.New()
		c.scratch = make([]byte, 0, 256)
	}
	return c
}

// bufReaders recycles the decoder's read buffers: at hundreds of uploads
// a second, a fresh 64 KiB each is garbage the collector need not see.
var bufReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}

// errReadAfterClose is returned by Read on a closed body.
var errReadAfterClose = errors.New("auth: read from a closed aws-chunked body")

// release returns the read buffer once the decoder is done with it.
func (c *chunkedReader) release() {
	if c.br != nil {
		c.br.Reset(nil)
		bufReaders.Put(c.br)
		c.br = nil
	}
}

// Read implements io.Reader.
func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	for c.remaining == 0 {
		if c.done {
			c.release()
			return 0, io.EOF
		}
		if c.br == nil {
			return 0, errReadAfterClose
		}
		if err := c.advance(); err != nil {
			c.err = err
			c.release()
			return 0, err
		}
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.br.Read(p)
	if c.sha != nil {
		c.sha.Write(p[:n])
	}
	c.remaining -= int64(n)
	if err != nil {
		// The chunk's data, its CRLF and the final chunk are all still
		// owed: any end of input here is premature.
		if err == io.EOF {
			err = errIncompleteBody
		}
		c.err = bodyError(err)
		c.release()
		return n, c.err
	}
	return n, nil
}

// Close closes the request body.
func (c *chunkedReader) Close() error {
	c.release()
	return c.body.Close()
}

// Trailers returns the trailing headers once the body has been read to
// io.EOF, and nil before that or when there were none.
func (c *chunkedReader) Trailers() http.Header {
	if !c.done || c.err != nil {
		return nil
	}
	return c.trailers
}

// advance closes the current chunk, if any, and opens the next one. When
// the next one is the final chunk it also reads the trailer and marks the
// stream done.
func (c *chunkedReader) advance() error {
	if c.inChunk {
		c.inChunk = false
		if err := c.verifyChunk(); err != nil {
			return err
		}
		if err := c.readCRLF(); err != nil {
			return err
		}
	}
	size, err := c.readChunkHeader()
	if err != nil {
		return err
	}
	if c.decodedLen >= 0 && size > c.decodedLen-c.total {
		return errDecodedTooLong
	}
	c.total += size
	if c.sha != nil {
		c.sha.Reset()
	}
	if size > 0 {
		c.remaining = size
		c.inChunk = true
		return nil
	}

	// The final, empty chunk.
	if err := c.verifyChunk(); err != nil {
		return err
	}
	if c.decodedLen >= 0 && c.total != c.decodedLen {
		return errIncompleteBody
	}
	if c.hasTrailer {
		if err := c.readTrailer(); err != nil {
			return err
		}
	} else {
		// The stream ends with "\r\n"; tolerate its absence, as the final
		// chunk's signature (or length check) already marks the end.
		if b, _ := c.br.Peek(2); len(b) == 2 && string(b) != "\r\n" {
			return errChunkFormat
		}
	}
	c.done = true
	return nil
}

// readLine returns the next line without its line ending. It accepts "\n"
// alone as well as "\r\n" (minio-go ends trailer lines with "\n"). The
// returned slice is valid until the next read.
func (c *chunkedReader) readLine(malformed error) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || len(line) > maxChunkLine:
		return nil, malformed
	case err == io.EOF:
		return nil, errIncompleteBody
	case err != nil:
		return nil, bodyError(err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func (c *chunkedReader) readCRLF() error {
	b, err := c.br.Peek(2)
	if len(b) < 2 {
		if err == io.EOF || err == nil {
			return errIncompleteBody
		}
		return bodyError(err)
	}
	if b[0] != '\r' || b[1] != '\n' {
		return errChunkFormat
	}
	c.br.Discard(2)
	return nil
}

// readChunkHeader parses "hex-size[;chunk-signature=hex]".
func (c *chunkedReader) readChunkHeader() (int64, error) {
	line, err := c.readLine(errChunkFormat)
	if err != nil {
		return 0, err
	}
	sizeHex, ext, _ := bytes.Cut(line, []byte{';'})
	if len(sizeHex) == 0 {
		return 0, errChunkFormat
	}
	var size int64
	for _, ch := range sizeHex {
		if !ishex(ch) {
			return 0, errChunkFormat
		}
		size = size<<4 | int64(unhex(ch))
		if size > MaxChunkSize {
			return 0, errChunkTooLarge
		}
	}
	if c.signer == nil {
		// Unsigned chunks: extensions carry nothing we use.
		return size, nil
	}
	sig, ok := bytes.CutPrefix(ext, []byte("chunk-signature="))
	if !ok || len(sig) != 64 {
		return 0, errChunkFormat
	}
	if _, err := hex.Decode(c.chunkSig[:], sig); err != nil {
		return 0, errChunkFormat
	}
	return size, nil
}

// verifyChunk checks the current chunk's signature:
//
//	HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope + "\n" +
//	          previous signature + "\n" + hex(sha256("")) + "\n" + hex(sha256(data)))
func (c *chunkedReader) verifyChunk() error {
	if c.signer == nil {
		return nil
	}
	var sum [32]byte
	c.sha.Sum(sum[:0])
	b := c.scratch[:0]
	b = append(b, "AWS4-HMAC-SHA256-PAYLOAD\n"...)
	b = c.appendDateScopePrev(b)
	b = append(b, emptySHA256Hex+"\n"...)
	b = hex.AppendEncode(b, sum[:])
	c.scratch = b
	return c.checkMAC(b, errChunkSignature)
}

func (c *chunkedReader) appendDateScopePrev(b []byte) []byte {
	b = append(b, c.signer.amzDate...)
	b = append(b, '\n')
	b = append(b, c.signer.scope...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, c.prevSig[:])
	return append(b, '\n')
}

// checkMAC compares HMAC(key, msg) with the current chunk signature and,
// when they match, makes it the previous signature of the next link.
func (c *chunkedReader) checkMAC(msg []byte, mismatch error) error {
	c.mac.Reset()
	c.mac.Write(msg)
	var got [32]byte
	c.mac.Sum(got[:0])
	if !hmac.Equal(got[:], c.chunkSig[:]) {
		return mismatch
	}
	c.prevSig = got
	return nil
}

// readTrailer reads the trailer after the final chunk: "name:value" lines
// up to an empty line. Names must have been announced in x-amz-trailer, and
// every announced name must come. With signed chunks the trailer ends with
// x-amz-trailer-signature, checked over the canonical trailer
// ("name:value\n" per header) with the "AWS4-HMAC-SHA256-TRAILER" string to
// sign. minio-go puts an empty line between the headers and the signature,
// so a signed trailer ends at the first empty line after the signature.
func (c *chunkedReader) readTrailer() error {
	h := make(http.Header, len(c.announced))
	var canonical []byte
	haveSig := false
	for lines := 0; ; lines++ {
		if lines > maxTrailerLines {
			return errTrailerFormat
		}
		if haveSig {
			// After the signature only the closing empty line may come;
			// the signature already marks the end, so tolerate its absence.
			line, err := c.readLine(errTrailerFormat)
			if err == errIncompleteBody {
				break
			}
			if err != nil {
				return err
			}
			if len(line) != 0 {
				return errTrailerFormat
			}
			break
		}
		line, err := c.readLine(errTrailerFormat)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			if c.signer != nil {
				continue // the signature is still to come
			}
			break
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			return errTrailerFormat
		}
		name = bytes.ToLower(bytes.TrimSpace(name))
		value = bytes.TrimSpace(value)
		if len(name) == 0 {
			return errTrailerFormat
		}
		if string(name) == "x-amz-trailer-signature" && c.signer != nil {
			if len(value) != 64 {
				return errTrailerFormat
			}
			if _, err := hex.Decode(c.chunkSig[:], value); err != nil {
				return errTrailerFormat
			}
			haveSig = true
			continue
		}
		if !c.isAnnounced(string(name)) {
			return s3err.InvalidRequest.WithMessage("The trailer %q was not announced in x-amz-trailer", name)
		}
		key := http.CanonicalHeaderKey(string(name))
		if _, dup := h[key]; dup {
			return errTrailerFormat
		}
		h[key] = []string{string(value)}
		if c.signer != nil {
			canonical = append(canonical, name...)
			canonical = append(canonical, ':')
			canonical = append(canonical, value...)
			canonical = append(canonical, '\n')
		}
	}
	for _, name := range c.announced {
		if _, ok := h[http.CanonicalHeaderKey(name)]; !ok {
			return s3err.InvalidRequest.WithMessage("The trailer %q announced in x-amz-trailer is missing", name)
		}
	}
	if c.signer != nil {
		if !haveSig {
			return errTrailerFormat
		}
		sum := sha256.Sum256(canonical)
		b := c.scratch[:0]
		b = append(b, "AWS4-HMAC-SHA256-TRAILER\n"...)
		b = c.appendDateScopePrev(b)
		b = hex.AppendEncode(b, sum[:])
		c.scratch = b
		if err := c.checkMAC(b, errTrailerSignature); err != nil {
			return err
		}
	}
	if len(h) > 0 {
		c.trailers = h
	}
	return nil
}

func (c *chunkedReader) isAnnounced(name string) bool {
	for _, a := range c.announced {
		if a == name {
			return true
		}
	}
	return false
}
