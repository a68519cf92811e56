package s3select

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// maxJSONDepth bounds nesting in JSON input.
const maxJSONDepth = 512

// jsonReader streams JSON values (LINES: one per line; DOCUMENT: one or
// more top-level values) and expands the FROM path into records.
type jsonReader struct {
	dec         *json.Decoder
	cr          *countingReader
	br          *bufio.Reader
	compression string
	path        []pathElem
	pending     []any
	// scan range: offsets of the stream start and last record start.
	from, end int64
}

func newJSONReader(src Source, req *Request) (*jsonReader, error) {
	from, end, skip := streamRange(req.ScanRange, src.Size())
	r, cr, err := openStream(src, src.Size(), from, req.Input.Compression)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if skip {
		// Start at the first line that begins inside the range.
		line, err := br.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			line, err = br.ReadSlice('\n')
		}
		from += int64(len(line))
		_ = line
	}
	dec := json.NewDecoder(br)
	dec.UseNumber()
	return &jsonReader{dec: dec, cr: cr, br: br, compression: req.Input.Compression,
		path: req.Query.FromPath, from: from, end: end}, nil
}

func (j *jsonReader) processed() int64 { return j.cr.n - int64(j.br.Buffered()) }

func (j *jsonReader) next() (any, error) {
	for len(j.pending) == 0 {
		if j.end >= 0 {
			// Skip whitespace so InputOffset is where the next value starts.
			if !j.dec.More() {
				return nil, io.EOF
			}
			if j.from+j.dec.InputOffset() > j.end {
				return nil, io.EOF
			}
		}
		v, err := decodeJSONValue(j.dec, 0)
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) && j.compression == "NONE" || errors.Is(err, errJSONDepth) {
				return nil, ErrJSONParsingError.WithMessage("Invalid JSON: %v", err)
			}
			return nil, readError(err, j.compression)
		}
		j.pending = expandPath(v, j.path, j.pending)
	}
	v := j.pending[0]
	j.pending = j.pending[1:]
	return v, nil
}

var errJSONDepth = errors.New("JSON nested too deeply")

// decodeJSONValue decodes one value keeping object field order.
func decodeJSONValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errJSONDepth
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, unexpected(err)
				}
				k, ok := kt.(string)
				if !ok {
					return nil, &json.SyntaxError{}
				}
				v, err := decodeJSONValue(dec, depth+1)
				if err != nil {
					return nil, unexpected(err)
				}
				o.keys = append(o.keys, k)
				o.vals = append(o.vals, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, unexpected(err)
			}
			return o, nil
		case '[':
			l := []any{}
			for dec.More() {
				v, err := decodeJSONValue(dec, depth+1)
				if err != nil {
					return nil, unexpected(err)
				}
				l = append(l, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, unexpected(err)
			}
			return l, nil
		}
		return nil, &json.SyntaxError{}
	case json.Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return nil, &json.SyntaxError{}
		}
		return f, nil
	case string, bool:
		return t, nil
	case nil:
		return nil, nil
	}
	return nil, &json.SyntaxError{}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// expandPath applies a FROM path (S3Object[*].a.b) to a document: names
// select fields, [n] an element, [*] every element of an array.
func expandPath(v any, path []pathElem, out []any) []any {
	if len(path) == 0 {
		return append(out, v)
	}
	p := path[0]
	switch p.kind {
	case pathWildcard:
		l, ok := v.([]any)
		if !ok {
			// [*] on a non-array (a LINES record) is the value itself.
			return expandPath(v, path[1:], out)
		}
		for _, x := range l {
			out = expandPath(x, path[1:], out)
		}
		return out
	case pathIndex:
		l, ok := v.([]any)
		if !ok || p.index >= len(l) {
			return out
		}
		return expandPath(l[p.index], path[1:], out)
	}
	o, ok := v.(*object)
	if !ok {
		return out
	}
	f, ok := o.get(p.name, p.quoted)
	if !ok {
		return out
	}
	return expandPath(f, path[1:], out)
}
