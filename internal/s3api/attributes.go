package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/anode/anode/internal/s3err"
)

// getObjectAttributesResponse is the GetObjectAttributes answer. Only the
// attributes asked for in x-amz-object-attributes are present.
type getObjectAttributesResponse struct {
	XMLName      xml.Name           `xml:"GetObjectAttributesResponse"`
	NS           string             `xml:"xmlns,attr"`
	ETag         string             `xml:"ETag,omitempty"`
	Checksum     *attributeChecksum `xml:"Checksum,omitempty"`
	ObjectParts  *objectParts       `xml:"ObjectParts,omitempty"`
	StorageClass string             `xml:"StorageClass,omitempty"`
	ObjectSize   *int64             `xml:"ObjectSize,omitempty"`
}

type attributeChecksum struct {
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type objectParts struct {
	TotalPartsCount      int        `xml:"PartsCount"`
	PartNumberMarker     int        `xml:"PartNumberMarker"`
	NextPartNumberMarker int        `xml:"NextPartNumberMarker"`
	MaxParts             int        `xml:"MaxParts"`
	IsTruncated          bool       `xml:"IsTruncated"`
	Parts                []partInfo `xml:"Part"`
}

var objectAttributeNames = map[string]bool{
	"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true,
}

// getObjectAttributes serves GetObjectAttributes (GET /bucket/key?attributes).
func (a *api) getObjectAttributes(rq *request) error {
	want := map[string]bool{}
	for _, v := range rq.r.Header.Values("x-amz-object-attributes") {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !objectAttributeNames[name] {
				return s3err.InvalidArgument.WithMessage("Invalid attribute name specified.")
			}
			want[name] = true
		}
	}
	if len(want) == 0 {
		return s3err.InvalidArgument.WithMessage("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	q := rq.r.URL.Query()
	max, err := strconv.Atoi(rq.r.Header.Get("x-amz-max-parts"))
	if err != nil || max <= 0 || max > maxListParts {
		max = maxListParts
	}
	marker, _ := strconv.Atoi(rq.r.Header.Get("x-amz-part-number-marker"))
	in, err := getInput(rq)
	if err != nil {
		return err
	}
	in.VersionID = q.Get("versionId")
	attrs, err := a.objects.GetObjectAttributes(rq.ctx(), in)
	if err != nil {
		return deleteMarkerError(rq, attrs.Info, err)
	}
	info := attrs.Info
	out := getObjectAttributesResponse{NS: s3NS}
	if want["ETag"] {
		out.ETag = strings.Trim(info.ETag, `"`)
	}
	if want["Checksum"] && len(info.Checksums) > 0 {
		out.Checksum = &attributeChecksum{checksumFields: checksumsXML(info.Checksums), ChecksumType: info.ChecksumType}
	}
	if want["ObjectParts"] && len(attrs.Parts) > 0 {
		op := &objectParts{TotalPartsCount: len(attrs.Parts), PartNumberMarker: marker, MaxParts: max}
		for _, p := range attrs.Parts {
			if p.PartNumber <= marker {
				continue
			}
			if len(op.Parts) == max {
				op.IsTruncated = true
				break
			}
			op.Parts = append(op.Parts, partInfo{PartNumber: p.PartNumber, Size: p.Size, checksumFields: checksumsXML(p.Checksums)})
			op.NextPartNumberMarker = p.PartNumber
		}
		out.ObjectParts = op
	}
	if want["StorageClass"] {
		out.StorageClass = "STANDARD"
	}
	if want["ObjectSize"] {
		size := info.Size
		out.ObjectSize = &size
	}
	h := rq.w.Header()
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	setIf(h, "x-amz-version-id", info.VersionID)
	writeXML(rq.w, http.StatusOK, out)
	return nil
}
