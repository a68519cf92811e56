package s3api

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/anode/anode/internal/s3err"
)

// maxKeyLength is the longest object key S3 accepts, in bytes.
const maxKeyLength = 1024

// level is the kind of resource a request addresses.
type level int

const (
	levelService level = iota // GET /
	levelBucket               // /bucket
	levelObject               // /bucket/key
)

// route maps a request shape to an operation. A request matches when its
// method and level are equal, every sub-resource in query is present, the
// header (if any) is present, and the request carries no other
// sub-resource: GET /bucket?acl must not fall through to ListObjects.
type route struct {
	method string
	level  level
	query  []string
	header string
	op     string
	fn     func(*api, *request) error
}

// subresources are the query parameters that select an operation rather
// than parameterise one. A request naming one that no route handles is
// answered NotImplemented, never with the plain GET/PUT of the resource.
var subresources = map[string]bool{
	"accelerate": true, "acl": true, "analytics": true, "attributes": true,
	"cors": true, "delete": true, "encryption": true, "intelligent-tiering": true,
	"inventory": true, "legal-hold": true, "lifecycle": true, "list-type": true,
	"location": true, "logging": true, "metadataConfiguration": true,
	"metadataTable": true, "metrics": true, "notification": true,
	"object-lock": true, "ownershipControls": true, "policy": true,
	"policyStatus": true, "publicAccessBlock": true, "renameObject": true,
	"replication": true, "requestPayment": true, "restore": true,
	"retention": true, "select": true, "select-type": true, "session": true,
	"tagging": true, "torrent": true, "uploadId": true, "uploads": true,
	"versioning": true, "versions": true, "website": true,
	"abac": true, "inventoryConfiguration": true,
}

// match returns the route for r, or nil when the operation is not
// implemented.
func match(r *http.Request, hasBucket, hasKey bool) *route {
	lv := levelService
	switch {
	case hasKey:
		lv = levelObject
	case hasBucket:
		lv = levelBucket
	}
	q := r.URL.Query()
	method := r.Method
next:
	for i := range routes {
		rt := &routes[i]
		if rt.method != method || rt.level != lv {
			continue
		}
		for _, name := range rt.query {
			if _, ok := q[name]; !ok {
				continue next
			}
		}
		if rt.header != "" && r.Header.Get(rt.header) == "" {
			continue
		}
		for name := range q {
			if subresources[name] && !contains(rt.query, name) {
				continue next
			}
		}
		return rt
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// bucketAndKey returns the bucket and key a request addresses, from its
// Host (virtual-host style) or its path (path style). The key comes from
// the escaped path, unescaped here, so that every byte of it survives:
// '+' stays a plus, "%2F" a slash inside the key, "../" and "//" are kept.
func (a *api) bucketAndKey(r *http.Request) (bucket, key string, err error) {
	path := r.URL.EscapedPath()
	if r.URL.Opaque != "" {
		path = r.URL.Opaque
	}
	path = strings.TrimPrefix(path, "/")
	if b := a.virtualBucket(r.Host); b != "" {
		key, err = unescapeKey(path)
		return b, key, err
	}
	escBucket, escKey, _ := strings.Cut(path, "/")
	bucket, err = url.PathUnescape(escBucket)
	if err != nil {
		return "", "", errInvalidURI
	}
	key, err = unescapeKey(escKey)
	return bucket, key, err
}

// virtualBucket returns the bucket named by a virtual-host-style Host
// header (bucket.domain[:port]), or "" for a path-style request.
func (a *api) virtualBucket(host string) string {
	if !a.virtualHost || host == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range a.domains {
		if b, ok := strings.CutSuffix(host, "."+d); ok && b != "" {
			return b
		}
	}
	return ""
}

// unescapeKey decodes an escaped object key and checks it is a key S3
// accepts: at most 1024 bytes of valid UTF-8.
func unescapeKey(escaped string) (string, error) {
	key, err := url.PathUnescape(escaped)
	if err != nil {
		return "", errInvalidURI
	}
	if err := checkKey(key); err != nil {
		return "", err
	}
	return key, nil
}

// checkKey validates an object key.
func checkKey(key string) error {
	if len(key) > maxKeyLength {
		return s3err.KeyTooLongError
	}
	if !utf8.ValidString(key) {
		return s3err.InvalidArgument.WithMessage("Object key is not valid UTF-8.")
	}
	return nil
}
