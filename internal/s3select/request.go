package s3select

import (
	"encoding/xml"
	"io"
	"strings"
)

// maxRequestSize bounds the request body; AWS allows expressions of up to
// 256 KiB.
const maxRequestSize = 1 << 20

// maxExpressionSize is the longest SQL expression AWS accepts.
const maxExpressionSize = 256 << 10

// Request is a parsed and validated SelectObjectContent request.
type Request struct {
	Expression string
	Query      *Query
	Input      InputSerialization
	Output     OutputSerialization
	// Progress asks for Progress events while the query runs.
	Progress  bool
	ScanRange *ScanRange
}

// Format is an input format.
type Format int

// Input formats.
const (
	FormatCSV Format = iota
	FormatJSON
	FormatParquet
)

// InputSerialization describes the object's format.
type InputSerialization struct {
	Format      Format
	Compression string // NONE, GZIP or BZIP2
	CSV         CSVInput
	JSONType    string // DOCUMENT or LINES
}

// CSVInput holds the CSV input options, with AWS's defaults applied.
type CSVInput struct {
	FileHeaderInfo             string // USE, IGNORE or NONE
	RecordDelimiter            string
	FieldDelimiter             string
	QuoteCharacter             string // empty: no quoting
	QuoteEscapeCharacter       string
	Comments                   string
	AllowQuotedRecordDelimiter bool
}

// OutputSerialization describes the format of the returned records.
type OutputSerialization struct {
	Format Format // FormatCSV or FormatJSON
	CSV    CSVOutput
	// JSONRecordDelimiter ends each JSON record.
	JSONRecordDelimiter string
}

// CSVOutput holds the CSV output options, with AWS's defaults applied.
type CSVOutput struct {
	QuoteFields          string // ASNEEDED or ALWAYS
	RecordDelimiter      string
	FieldDelimiter       string
	QuoteCharacter       string
	QuoteEscapeCharacter string
}

// ScanRange restricts the query to the records that start inside
// [Start, End] (End inclusive).
type ScanRange struct {
	Start, End int64
}

// The XML document, as AWS defines it. Pointers tell absent from empty.
type xmlRequest struct {
	XMLName         xml.Name `xml:"SelectObjectContentRequest"`
	Expression      *string
	ExpressionType  string
	RequestProgress *struct{ Enabled bool }
	Input           *struct {
		CompressionType string
		CSV             *struct {
			FileHeaderInfo             string
			RecordDelimiter            *string
			FieldDelimiter             *string
			QuoteCharacter             *string
			QuoteEscapeCharacter       *string
			Comments                   *string
			AllowQuotedRecordDelimiter bool
		}
		JSON *struct {
			Type string
		}
		Parquet *struct{}
	} `xml:"InputSerialization"`
	Output *struct {
		CSV *struct {
			QuoteFields          string
			RecordDelimiter      *string
			FieldDelimiter       *string
			QuoteCharacter       *string
			QuoteEscapeCharacter *string
		}
		JSON *struct {
			RecordDelimiter *string
		}
	} `xml:"OutputSerialization"`
	ScanRange *struct {
		Start *int64
		End   *int64
	}
}

func orDefault(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}

// ParseRequest reads and validates a SelectObjectContentRequest body and
// parses its SQL expression. Errors are *s3err.Error values.
func ParseRequest(body io.Reader) (*Request, error) {
	data, err := io.ReadAll(io.LimitReader(body, maxRequestSize+1))
	if err != nil {
		return nil, ErrMalformedXML.WithMessage("reading request body: %v", err)
	}
	if len(data) > maxRequestSize {
		return nil, ErrExpressionTooLong
	}
	var x xmlRequest
	if err := xml.Unmarshal(data, &x); err != nil {
		return nil, ErrMalformedXML
	}
	if x.Expression == nil || x.Input == nil || x.Output == nil {
		return nil, ErrMissingRequiredParameter
	}
	if !strings.EqualFold(x.ExpressionType, "SQL") {
		return nil, ErrInvalidExpressionType
	}
	if len(*x.Expression) > maxExpressionSize {
		return nil, ErrExpressionTooLong
	}
	req := &Request{Expression: *x.Expression}
	if x.RequestProgress != nil {
		req.Progress = x.RequestProgress.Enabled
	}

	// Input.
	in := &req.Input
	n := 0
	if x.Input.CSV != nil {
		n++
		in.Format = FormatCSV
		c := x.Input.CSV
		in.CSV = CSVInput{
			FileHeaderInfo:             strings.ToUpper(c.FileHeaderInfo),
			RecordDelimiter:            orDefault(c.RecordDelimiter, "\n"),
			FieldDelimiter:             orDefault(c.FieldDelimiter, ","),
			QuoteCharacter:             orDefault(c.QuoteCharacter, `"`),
			QuoteEscapeCharacter:       orDefault(c.QuoteEscapeCharacter, `"`),
			AllowQuotedRecordDelimiter: c.AllowQuotedRecordDelimiter,
		}
		if c.Comments != nil {
			in.CSV.Comments = *c.Comments
		}
		switch in.CSV.FileHeaderInfo {
		case "":
			in.CSV.FileHeaderInfo = "NONE"
		case "USE", "IGNORE", "NONE":
		default:
			return nil, ErrInvalidFileHeaderInfo
		}
		if len(in.CSV.RecordDelimiter) > 2 || len(in.CSV.FieldDelimiter) > 1 && in.CSV.FieldDelimiter != in.CSV.RecordDelimiter ||
			len(in.CSV.QuoteCharacter) > 1 || len(in.CSV.QuoteEscapeCharacter) > 1 || len(in.CSV.Comments) > 1 {
			return nil, ErrInvalidRequestParameter.WithMessage("CSV delimiters, quote, escape and comment characters must be single characters (a record delimiter may be two).")
		}
		if len(in.CSV.FieldDelimiter) != 1 {
			return nil, ErrInvalidRequestParameter.WithMessage("The CSV FieldDelimiter must be one character.")
		}
	}
	if x.Input.JSON != nil {
		n++
		in.Format = FormatJSON
		in.JSONType = strings.ToUpper(x.Input.JSON.Type)
		if in.JSONType != "DOCUMENT" && in.JSONType != "LINES" {
			return nil, ErrInvalidJSONType
		}
	}
	if x.Input.Parquet != nil {
		n++
		in.Format = FormatParquet
	}
	if n != 1 {
		return nil, ErrObjectSerializationConflict
	}
	in.Compression = strings.ToUpper(x.Input.CompressionType)
	switch in.Compression {
	case "":
		in.Compression = "NONE"
	case "NONE", "GZIP", "BZIP2":
	default:
		return nil, ErrInvalidCompressionFormat
	}
	if in.Format == FormatParquet && in.Compression != "NONE" {
		// Parquet compresses its pages itself.
		return nil, ErrInvalidRequestParameter.WithMessage("CompressionType must be NONE for Parquet input.")
	}

	// Output.
	out := &req.Output
	switch {
	case x.Output.CSV != nil && x.Output.JSON != nil, x.Output.CSV == nil && x.Output.JSON == nil:
		return nil, ErrObjectSerializationConflict.WithMessage("The OutputSerialization specified must have exactly one format.")
	case x.Output.CSV != nil:
		c := x.Output.CSV
		out.Format = FormatCSV
		out.CSV = CSVOutput{
			QuoteFields:          strings.ToUpper(c.QuoteFields),
			RecordDelimiter:      orDefault(c.RecordDelimiter, "\n"),
			FieldDelimiter:       orDefault(c.FieldDelimiter, ","),
			QuoteCharacter:       orDefault(c.QuoteCharacter, `"`),
			QuoteEscapeCharacter: orDefault(c.QuoteEscapeCharacter, `"`),
		}
		switch out.CSV.QuoteFields {
		case "":
			out.CSV.QuoteFields = "ASNEEDED"
		case "ASNEEDED", "ALWAYS":
		default:
			return nil, ErrInvalidQuoteFields
		}
	default:
		out.Format = FormatJSON
		out.JSONRecordDelimiter = orDefault(x.Output.JSON.RecordDelimiter, "\n")
	}

	if x.ScanRange != nil {
		sr := &ScanRange{Start: 0, End: -1}
		if x.ScanRange.Start != nil {
			sr.Start = *x.ScanRange.Start
		}
		if x.ScanRange.End != nil {
			sr.End = *x.ScanRange.End
		}
		if x.ScanRange.Start == nil && x.ScanRange.End != nil {
			// Only End: the last End bytes, as in a suffix range.
			sr.Start, sr.End = -sr.End, -1
		}
		if sr.Start < 0 && x.ScanRange.Start != nil || (sr.End >= 0 && sr.End < sr.Start) {
			return nil, ErrInvalidScanRange
		}
		if in.Compression != "NONE" || in.Format == FormatJSON && in.JSONType == "DOCUMENT" {
			return nil, ErrInvalidScanRange.WithMessage("ScanRange is supported only for uncompressed CSV, JSON LINES and Parquet objects.")
		}
		req.ScanRange = sr
	}

	q, err := ParseSQL(req.Expression)
	if err != nil {
		return nil, err
	}
	req.Query = q
	if in.Format != FormatCSV {
		for _, c := range q.positional {
			return nil, ErrInvalidColumnIndex.WithMessage("Positional column %s is only valid for CSV objects.", c)
		}
	}
	return req, nil
}
