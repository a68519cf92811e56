package s3select

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// maxRecordSize is the longest record S3 Select accepts (1 MiB).
const maxRecordSize = 1 << 20

// csvReader parses CSV with configurable delimiters, quote, escape and
// comment characters. It is written here rather than using encoding/csv,
// which supports neither other quote characters, escape characters nor
// multi-byte record delimiters.
type csvReader struct {
	r           *bufio.Reader
	cr          *countingReader
	compression string
	field       byte
	quote       byte // 0: no quoting
	escape      byte
	comment     byte // 0: none
	recDelim    string
	// offset of the next byte in the object, for scan ranges; end is the
	// last offset at which a record may start (-1: none).
	offset, end int64

	header   []string
	index    *keyIndex
	posNames map[int]*object // key templates for files without header, by width
	fields   []string
	buf      []byte
}

func newCSVReader(src Source, req *Request) (*csvReader, error) {
	from, end, skip := streamRange(req.ScanRange, src.Size())
	c := req.Input.CSV
	open := func(from int64) (*csvReader, error) {
		r, cr, err := openStream(src, src.Size(), from, req.Input.Compression)
		if err != nil {
			return nil, err
		}
		cs := &csvReader{r: bufio.NewReaderSize(r, 64<<10), cr: cr, compression: req.Input.Compression,
			field: c.FieldDelimiter[0], escape: 0, recDelim: c.RecordDelimiter, offset: from, end: end}
		if c.QuoteCharacter != "" {
			cs.quote = c.QuoteCharacter[0]
		}
		if c.QuoteEscapeCharacter != "" {
			cs.escape = c.QuoteEscapeCharacter[0]
		}
		if c.Comments != "" {
			cs.comment = c.Comments[0]
		}
		return cs, nil
	}
	cs, err := open(from)
	if err != nil {
		return nil, err
	}
	if skip {
		if err := cs.skipToRecord(); err != nil && err != io.EOF {
			return nil, err
		}
	}
	if c.FileHeaderInfo == "NONE" {
		return cs, nil
	}
	hr := cs
	if from > 0 { // the header is at the start of the object, outside the range
		if hr, err = open(0); err != nil {
			return nil, err
		}
		hr.end = -1
	}
	fields, err := hr.readRecord()
	if err == io.EOF {
		return cs, nil
	}
	if err != nil {
		return nil, err
	}
	if c.FileHeaderInfo == "USE" {
		cs.header = append([]string(nil), fields...)
		cs.index = newKeyIndex(cs.header)
		for name := range req.Query.columns {
			if _, ok := cs.index.folded[strings.ToLower(name)]; ok {
				continue
			}
			if _, ok := positionalIndex(name); ok {
				continue
			}
			return nil, ErrMissingHeaders.WithMessage("Column %q is not in the CSV header.", name)
		}
	} else {
		for name := range req.Query.columns {
			if _, ok := positionalIndex(name); !ok {
				return nil, ErrMissingHeaders.WithMessage("Column %q cannot be used: FileHeaderInfo is %s; use positions (_1, _2, ...).", name, c.FileHeaderInfo)
			}
		}
	}
	if from > 0 {
		cs.processedOffset(hr)
	}
	return cs, nil
}

// processedOffset counts a separately read header as processed.
func (c *csvReader) processedOffset(h *csvReader) { c.cr.n += h.cr.n - int64(h.r.Buffered()) }

func (c *csvReader) processed() int64 { return c.cr.n - int64(c.r.Buffered()) }

func (c *csvReader) readByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.offset++
	}
	return b, err
}

// atDelim reports whether the record delimiter starts with b and, for a
// two-byte delimiter, consumes its second byte.
func (c *csvReader) atDelim(b byte) bool {
	if b != c.recDelim[0] {
		// A "\n" delimiter also accepts "\r\n".
		if c.recDelim == "\n" && b == '\r' {
			if nb, err := c.r.Peek(1); err == nil && nb[0] == '\n' {
				c.readByte()
				return true
			}
		}
		return false
	}
	if len(c.recDelim) == 1 {
		return true
	}
	nb, err := c.r.Peek(1)
	if err == nil && nb[0] == c.recDelim[1] {
		c.readByte()
		return true
	}
	return false
}

// skipToRecord drops bytes up to and including the first record delimiter.
func (c *csvReader) skipToRecord() error {
	for {
		b, err := c.readByte()
		if err != nil {
			return err
		}
		if c.atDelim(b) {
			return nil
		}
	}
}

// readRecord reads one record's fields (reused between calls).
func (c *csvReader) readRecord() ([]string, error) {
	for {
		if c.end >= 0 && c.offset > c.end {
			return nil, io.EOF
		}
		b, err := c.readByte()
		if err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, readError(err, c.compression)
		}
		if c.comment != 0 && b == c.comment {
			if err := c.skipToRecord(); err != nil && err != io.EOF {
				return nil, readError(err, c.compression)
			}
			continue
		}
		c.r.UnreadByte()
		c.offset--
		break
	}
	c.fields = c.fields[:0]
	c.buf = c.buf[:0]
	var starts []int
	inQuote, quoted := false, false
	endField := func() {
		starts = append(starts, len(c.buf))
		inQuote, quoted = false, false
	}
	for {
		b, err := c.readByte()
		if err != nil {
			if err != io.EOF {
				return nil, readError(err, c.compression)
			}
			if inQuote {
				return nil, ErrCSVParsingError.WithMessage("Unterminated quoted field at the end of the object.")
			}
			endField()
			break
		}
		if len(c.buf) > maxRecordSize {
			return nil, ErrOverMaxRecordSize
		}
		if inQuote {
			switch {
			case b == c.escape && c.escape != c.quote:
				nb, err := c.readByte()
				if err != nil {
					return nil, ErrCSVParsingError.WithMessage("Escape character at the end of the object.")
				}
				c.buf = append(c.buf, nb)
			case b == c.quote:
				if nb, err := c.r.Peek(1); err == nil && nb[0] == c.quote {
					c.readByte()
					c.buf = append(c.buf, c.quote)
					continue
				}
				inQuote = false
			default:
				c.buf = append(c.buf, b)
			}
			continue
		}
		switch {
		case b == c.field:
			endField()
		case c.atDelim(b):
			endField()
			goto done
		case b == c.quote && c.quote != 0 && !quoted && (len(starts) == 0 && len(c.buf) == 0 || len(starts) > 0 && len(c.buf) == starts[len(starts)-1]):
			inQuote, quoted = true, true
		default:
			c.buf = append(c.buf, b)
		}
	}
done:
	prev := 0
	s := string(c.buf)
	for _, e := range starts {
		c.fields = append(c.fields, s[prev:e])
		prev = e
	}
	return c.fields, nil
}

func (c *csvReader) next() (any, error) {
	fields, err := c.readRecord()
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(fields))
	for i, f := range fields {
		vals[i] = f
	}
	if c.header != nil {
		return &object{keys: c.header, vals: vals, index: c.index}, nil
	}
	tmpl := c.posNames[len(fields)]
	if tmpl == nil {
		if c.posNames == nil {
			c.posNames = map[int]*object{}
		}
		keys := make([]string, len(fields))
		for i := range keys {
			keys[i] = "_" + strconv.Itoa(i+1)
		}
		tmpl = &object{keys: keys, index: newKeyIndex(keys)}
		c.posNames[len(fields)] = tmpl
	}
	return &object{keys: tmpl.keys, vals: vals, index: tmpl.index}, nil
}
