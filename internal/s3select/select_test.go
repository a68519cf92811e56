package s3select

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/anode/anode/internal/s3err"
)

type memSource struct{ *bytes.Reader }

func (m memSource) Size() int64 { return m.Reader.Size() }

func src(b []byte) Source { return memSource{bytes.NewReader(b)} }

// result is a decoded event stream.
type result struct {
	records string
	stats   string
	errCode string
	end     bool
}

// decode reads an event stream with the AWS SDK's decoder.
func decode(t *testing.T, stream []byte) result {
	t.Helper()
	var res result
	dec := eventstream.NewDecoder()
	r := bytes.NewReader(stream)
	for r.Len() > 0 {
		m, err := dec.Decode(r, nil)
		if err != nil {
			t.Fatalf("decoding event stream: %v", err)
		}
		if m.Headers.Get(":message-type").String() == "error" {
			res.errCode = m.Headers.Get(":error-code").String()
			continue
		}
		switch m.Headers.Get(":event-type").String() {
		case "Records":
			if ct := m.Headers.Get(":content-type").String(); ct != "application/octet-stream" {
				t.Errorf("Records content type %q", ct)
			}
			res.records += string(m.Payload)
		case "Stats":
			res.stats = string(m.Payload)
		case "End":
			res.end = true
		}
	}
	return res
}

func reqXML(expr, input, output string) string {
	return `<SelectObjectContentRequest><Expression>` + xmlEscape(expr) + `</Expression><ExpressionType>SQL</ExpressionType>` +
		`<InputSerialization>` + input + `</InputSerialization><OutputSerialization>` + output + `</OutputSerialization></SelectObjectContentRequest>`
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

const (
	csvUse  = `<CSV><FileHeaderInfo>USE</FileHeaderInfo></CSV>`
	csvNone = `<CSV><FileHeaderInfo>NONE</FileHeaderInfo></CSV>`
	outCSV  = `<CSV/>`
	outJSON = `<JSON/>`
)

func runQuery(t *testing.T, body string, data []byte, opts Options) (result, Stats, error) {
	t.Helper()
	req, err := ParseRequest(strings.NewReader(body))
	if err != nil {
		return result{}, Stats{}, err
	}
	var out bytes.Buffer
	st, err := Execute(context.Background(), req, src(data), nil, opts, &out)
	if err != nil {
		if out.Len() != 0 {
			t.Fatal("error returned after writing")
		}
		return result{}, st, err
	}
	res := decode(t, out.Bytes())
	if res.errCode == "" && (!res.end || res.stats == "") {
		t.Fatalf("stream without Stats/End: %+v", res)
	}
	return res, st, nil
}

func mustQuery(t *testing.T, body string, data []byte) string {
	t.Helper()
	res, _, err := runQuery(t, body, data, DefaultOptions())
	if err != nil {
		t.Fatalf("query failed: %v", err)
	}
	if res.errCode != "" {
		t.Fatalf("error event %s", res.errCode)
	}
	return res.records
}

const people = "name,age,city\nalice,30,paris\nbob,25,\"new york, ny\"\ncarol,41,berlin\ndave,,paris\n"

func TestCSVQueries(t *testing.T) {
	data := []byte(people)
	cases := []struct{ sql, input, output, want string }{
		{"SELECT * FROM S3Object", csvUse, outCSV, "alice,30,paris\nbob,25,\"new york, ny\"\ncarol,41,berlin\ndave,,paris\n"},
		{"SELECT s.name FROM S3Object s WHERE s.age != '' AND CAST(s.age AS INT) > 28", csvUse, outCSV, "alice\ncarol\n"},
		{"SELECT name, age FROM S3Object WHERE city = 'paris' LIMIT 1", csvUse, outJSON, `{"name":"alice","age":"30"}` + "\n"},
		{"SELECT _1 FROM S3Object WHERE _3 LIKE 'new%'", csvUse, outCSV, "bob\n"},
		{"SELECT UPPER(name) AS n, CHAR_LENGTH(city) FROM S3Object WHERE age BETWEEN 26 AND 41", csvUse, outJSON, `{"n":"ALICE","_2":5}` + "\n" + `{"n":"CAROL","_2":6}` + "\n"},
		{"SELECT COUNT(*), SUM(CAST(age AS INT)), MIN(name), MAX(CAST(age AS INT)), AVG(CAST(age AS FLOAT)) FROM S3Object WHERE age != ''", csvUse, outCSV, "3,96,alice,41,32\n"},
		{"SELECT name FROM S3Object WHERE city IN ('berlin', 'nowhere') OR NOT (age >= 26)", csvUse, outCSV, "bob\ncarol\n"},
		{"SELECT name FROM S3Object WHERE NULLIF(age, '') IS NULL", csvUse, outCSV, "dave\n"},
		{"SELECT COALESCE(NULLIF(age, ''), 'n/a') FROM S3Object WHERE name = 'dave'", csvUse, outCSV, "n/a\n"},
		{"SELECT SUBSTRING(name FROM 2 FOR 3), SUBSTRING(name, 1, 2), TRIM(BOTH 'a' FROM name) FROM S3Object WHERE name = 'alice'", csvUse, outCSV, "lic,al,lice\n"},
		{"SELECT _1, _2 FROM S3Object LIMIT 2", csvNone, outCSV, "name,age\nalice,30\n"},
		{`SELECT "name" FROM S3Object WHERE "city" = 'berlin'`, csvUse, outCSV, "carol\n"},
		{"select name from s3object where LOWER(city) like '%york%'", csvUse, outCSV, "bob\n"},
		{"SELECT CAST(age AS INT) * 2 + 1 FROM S3Object WHERE name = 'bob'", csvUse, outCSV, "51\n"},
		{"SELECT name FROM S3Object WHERE name LIKE 'a!%%' ESCAPE '!'", csvUse, outCSV, ""},
		{"SELECT EXTRACT(YEAR FROM TO_TIMESTAMP('2024-03-05T10:00:00Z')), DATE_DIFF(DAY, TO_TIMESTAMP('2024-03-01'), TO_TIMESTAMP('2024-03-05')), TO_STRING(DATE_ADD(MONTH, 1, TO_TIMESTAMP('2024-01-31T00:00:00Z')), 'yyyy-MM-dd') FROM S3Object LIMIT 1", csvUse, outCSV, "2024,4,2024-03-02\n"},
		{"SELECT CASE WHEN CAST(age AS INT) > 28 THEN 'old' ELSE 'young' END FROM S3Object WHERE age <> ''", csvUse, outCSV, "old\nyoung\nold\n"},
		{"SELECT COUNT(*) FROM S3Object LIMIT 0", csvUse, outCSV, ""},
	}
	for _, c := range cases {
		got := mustQuery(t, reqXML(c.sql, c.input, c.output), data)
		if got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.sql, got, c.want)
		}
	}
}

func TestCSVOptions(t *testing.T) {
	data := []byte("# comment\na;'x;y';1\r\nb;'it''s';2\r\n")
	in := `<CSV><FileHeaderInfo>NONE</FileHeaderInfo><FieldDelimiter>;</FieldDelimiter><QuoteCharacter>'</QuoteCharacter><RecordDelimiter>` + "\r\n" + `</RecordDelimiter><Comments>#</Comments></CSV>`
	got := mustQuery(t, reqXML("SELECT _2, _3 FROM S3Object", in, `<CSV><FieldDelimiter>|</FieldDelimiter><QuoteFields>ALWAYS</QuoteFields></CSV>`), data)
	if want := "\"x;y\"|\"1\"\n\"it's\"|\"2\"\n"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestCompressedInput(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(people))
	zw.Close()
	body := strings.Replace(reqXML("SELECT name FROM S3Object WHERE city = 'paris'", csvUse, outCSV), "<InputSerialization>", "<InputSerialization><CompressionType>GZIP</CompressionType>", 1)
	res, st, err := runQuery(t, body, gz.Bytes(), DefaultOptions())
	if err != nil || res.records != "alice\ndave\n" {
		t.Fatalf("gzip: %q %v", res.records, err)
	}
	if st.BytesScanned != int64(gz.Len()) || st.BytesProcessed != int64(len(people)) || st.BytesReturned != 11 {
		t.Errorf("stats %+v (compressed %d, plain %d)", st, gz.Len(), len(people))
	}
	if !strings.Contains(res.stats, fmt.Sprintf("<BytesScanned>%d</BytesScanned>", gz.Len())) {
		t.Errorf("Stats event %s", res.stats)
	}
	// Plain bytes declared as GZIP.
	_, _, err = runQuery(t, body, []byte(people), DefaultOptions())
	if s3err.As(err).Code != "InvalidCompressionFormat" {
		t.Errorf("plain as gzip: %v", err)
	}
}

func TestJSONQueries(t *testing.T) {
	lines := []byte(`{"id":1,"user":{"name":"ann","tags":["a","b"]},"score":1.5}
{"id":2,"user":{"name":"ben","tags":[]},"score":null}
{"id":3,"user":{"name":"cy"},"extra":true}
`)
	jl := `<JSON><Type>LINES</Type></JSON>`
	cases := []struct{ sql, want string }{
		{"SELECT * FROM S3Object s WHERE s.id = 1", `{"id":1,"user":{"name":"ann","tags":["a","b"]},"score":1.5}` + "\n"},
		{"SELECT s.user.name, s.user.tags[1] AS t FROM S3Object s WHERE s.id < 3", `{"name":"ann","t":"b"}` + "\n" + `{"name":"ben"}` + "\n"},
		{"SELECT s.id FROM S3Object s WHERE s.score IS NULL", `{"id":2}` + "\n" + `{"id":3}` + "\n"},
		{"SELECT s.id FROM S3Object s WHERE s.score IS MISSING", `{"id":3}` + "\n"},
		{"SELECT s.id FROM S3Object s WHERE s.extra = true", `{"id":3}` + "\n"},
		{"SELECT SUM(s.id) AS total, AVG(s.score) FROM S3Object s", `{"total":6,"_2":1.5}` + "\n"},
	}
	for _, c := range cases {
		if got := mustQuery(t, reqXML(c.sql, jl, outJSON), lines); got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.sql, got, c.want)
		}
	}
	doc := []byte(`{"rows":[{"a":1},{"a":2},{"a":3}]}`)
	got := mustQuery(t, reqXML("SELECT r.a FROM S3Object[*].rows[*] r WHERE r.a >= 2", `<JSON><Type>DOCUMENT</Type></JSON>`, outCSV), doc)
	if got != "2\n3\n" {
		t.Errorf("document path: %q", got)
	}
	_, _, err := runQuery(t, reqXML("SELECT * FROM S3Object", jl, outJSON), []byte("{\"a\":1}\n{bad json}\n"), DefaultOptions())
	if s3err.As(err).Code != "JSONParsingError" {
		t.Errorf("bad JSON: %v", err)
	}
}

func TestScanRange(t *testing.T) {
	data := []byte("a,1\nb,2\nc,3\nd,4\n")
	body := strings.Replace(reqXML("SELECT _1 FROM S3Object", csvNone, outCSV), "</SelectObjectContentRequest>",
		"<ScanRange><Start>5</Start><End>9</End></ScanRange></SelectObjectContentRequest>", 1)
	// Records start at 0, 4, 8, 12: those starting in [5, 9] is c only.
	if got := mustQuery(t, body, data); got != "c\n" {
		t.Errorf("scan range: %q", got)
	}
}

func TestRequestErrors(t *testing.T) {
	cases := map[string]string{
		"<not xml": "MalformedXML",
		reqXML("SELECT * FROM S3Object", "", outCSV):                                                  "ObjectSerializationConflict",
		strings.Replace(reqXML("SELECT * FROM S3Object", csvUse, outCSV), ">SQL<", ">XPATH<", 1):      "InvalidExpressionType",
		reqXML("SELECT * FROM S3Object", `<CSV><FileHeaderInfo>MAYBE</FileHeaderInfo></CSV>`, outCSV): "InvalidFileHeaderInfo",
		reqXML("SELECT * FROM S3Object", `<JSON><Type>XML</Type></JSON>`, outCSV):                     "InvalidJsonType",
		reqXML("SELECT FROM WHERE", csvUse, outCSV):                                                   "ParseEmptySelect",
		reqXML("SELECT a FROM S3Object WHERE", csvUse, outCSV):                                        "ParseExpectedExpression",
		reqXML("SELECT a b c FROM S3Object", csvUse, outCSV):                                          "ParseUnexpectedToken",
		reqXML("SELECT _0 FROM S3Object", csvNone, outCSV):                                            "InvalidColumnIndex",
		reqXML("SELECT FOO(a) FROM S3Object", csvUse, outCSV):                                         "UnsupportedFunction",
		reqXML("SELECT CAST(a AS BLOB) FROM S3Object", csvUse, outCSV):                                "ParseExpectedTypeName",
		reqXML("SELECT a, COUNT(*) FROM S3Object", csvUse, outCSV):                                    "UnsupportedSqlStructure",
		reqXML("SELECT a FROM S3Object LIMIT -1", csvUse, outCSV):                                     "EvaluatorNegativeLimit",
	}
	for body, code := range cases {
		_, err := ParseRequest(strings.NewReader(body))
		if got := s3err.As(err).Code; got != code {
			t.Errorf("%.80s: got %v, want %s", body, err, code)
		}
		var se *s3err.Error
		if !errors.As(err, &se) || se.Status != 400 {
			t.Errorf("%.80s: not a 400 S3 error: %v", body, err)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	data := []byte(people)
	_, _, err := runQuery(t, reqXML("SELECT nope FROM S3Object", csvUse, outCSV), data, DefaultOptions())
	if s3err.As(err).Code != "MissingHeaders" {
		t.Errorf("missing header: %v", err)
	}
	_, _, err = runQuery(t, reqXML("SELECT CAST(name AS INT) FROM S3Object", csvUse, outCSV), data, DefaultOptions())
	if s3err.As(err).Code != "CastFailed" {
		t.Errorf("cast: %v", err)
	}
	// A failure after records were streamed arrives as an error event.
	var big strings.Builder
	big.WriteString("n\n")
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&big, "%d\n", i)
	}
	big.WriteString("oops\n")
	res, _, err := runQuery(t, reqXML("SELECT CAST(n AS INT) FROM S3Object", csvUse, outCSV), []byte(big.String()), DefaultOptions())
	if err != nil || res.errCode != "CastFailed" || !strings.HasPrefix(res.records, "0\n1\n") || res.end {
		t.Errorf("late error: err %v code %q end %v", err, res.errCode, res.end)
	}
}

func TestCancelledContext(t *testing.T) {
	var big strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&big, "%d\n", i)
	}
	req, err := ParseRequest(strings.NewReader(reqXML("SELECT * FROM S3Object", csvNone, outCSV)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Run(ctx, req, src([]byte(big.String())), nil, DefaultOptions(), io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}

func TestLikeMatcher(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"a%", "abc", true}, {"%c", "abc", true}, {"a_c", "abc", true}, {"a_c", "abbc", false},
		{"%b%", "abc", true}, {"%", "", true}, {"_", "", false}, {"a%b%c", "axxbyyc", true}, {"a%b%c", "axxbyy", false},
		{"é_", "éa", true},
	}
	for _, c := range cases {
		m, err := compileLike(c.pat, "")
		if err != nil || m.match(c.s) != c.want {
			t.Errorf("%q LIKE %q = %v, want %v", c.s, c.pat, !c.want, c.want)
		}
	}
}
