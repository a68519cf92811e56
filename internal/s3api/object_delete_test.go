package s3api

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/anode/anode/internal/s3err"
)

func TestParseDeleteObjects(t *testing.T) {
	ok := `<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Quiet>true</Quiet>
  <Object><Key>a &amp; b</Key></Object>
  <Object><Key>k2</Key><VersionId>v1</VersionId></Object>
  <Object><Key></Key></Object>
</Delete>`
	req, err := parseDeleteObjects([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if !req.Quiet || len(req.Objects) != 3 || *req.Objects[0].Key != "a & b" ||
		*req.Objects[1].Key != "k2" || req.Objects[1].VersionID != "v1" || *req.Objects[2].Key != "" {
		t.Errorf("parsed %+v", req)
	}

	many := func(n int) string {
		var b strings.Builder
		b.WriteString("<Delete>")
		for i := range n {
			fmt.Fprintf(&b, "<Object><Key>k%d</Key></Object>", i)
		}
		b.WriteString("</Delete>")
		return b.String()
	}
	if req, err := parseDeleteObjects([]byte(many(1000))); err != nil || len(req.Objects) != 1000 {
		t.Errorf("1000 keys: %v", err)
	}
	for name, body := range map[string]string{
		"1001 keys":    many(1001),
		"no keys":      "<Delete></Delete>",
		"empty":        "",
		"not xml":      "hello",
		"wrong root":   "<Remove><Object><Key>a</Key></Object></Remove>",
		"unclosed":     "<Delete><Object><Key>a</Key></Object>",
		"missing key":  "<Delete><Object><VersionId>v</VersionId></Object></Delete>",
		"bad quiet":    "<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>",
		"too large":    "<Delete>" + strings.Repeat(" ", maxDeleteBody) + "</Delete>",
		"html entity":  "<Delete><Object><Key>&nbsp;</Key></Object></Delete>",
		"bad encoding": "<Delete><Object><Key>\xff</Key></Object></Delete>",
	} {
		if _, err := parseDeleteObjects([]byte(body)); !errors.Is(err, s3err.MalformedXML) {
			t.Errorf("%s: error = %v, want MalformedXML", name, err)
		}
	}
}

// FuzzParseDeleteObjects checks that no request body panics the parser,
// and that every accepted request respects the limits.
func FuzzParseDeleteObjects(f *testing.F) {
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a</Key><VersionId>v</VersionId></Object></Delete>`))
	f.Add([]byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object></Delete>`))
	f.Add([]byte(`<Delete><Object><Key><![CDATA[x]]></Key></Object>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><Delete><Object><Key>&e;</Key></Object></Delete>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseDeleteObjects(data)
		if err != nil {
			if !errors.Is(err, s3err.MalformedXML) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(req.Objects) == 0 || len(req.Objects) > maxDeleteObjects {
			t.Fatalf("accepted %d objects", len(req.Objects))
		}
		for _, o := range req.Objects {
			if o.Key == nil {
				t.Fatal("accepted an object without a key")
			}
		}
	})
}
