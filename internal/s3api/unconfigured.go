package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/anode/anode/internal/s3err"
)

// Bucket configurations Anode does not implement (Object Lock, lifecycle
// and notifications are in objectlock.go, lifecycle.go and
// notification.go) still answer a GET the
// way AWS answers for a bucket that never had them configured: the
// "not found" error of that configuration, or the empty document AWS
// returns for the ones every bucket has. Clients (Terraform, s3fs, SDK
// feature probes) read these answers as "not configured"; a generic 501
// breaks them. Deleting one that no bucket has is the no-op AWS answers
// 204; setting one stays NotImplemented.

// Errors AWS answers for configurations a bucket does not have.
var (
	errNoSuchWebsite = &s3err.Error{Code: "NoSuchWebsiteConfiguration", Status: http.StatusNotFound,
		Message: "The specified bucket does not have a website configuration"}
	errNoReplication = &s3err.Error{Code: "ReplicationConfigurationNotFoundError", Status: http.StatusNotFound,
		Message: "The replication configuration was not found"}
	errNoSuchConfiguration = &s3err.Error{Code: "NoSuchConfiguration", Status: http.StatusNotFound,
		Message: "The specified configuration does not exist."}
)

// unconfigured returns the handler of a GET of a configuration that no
// bucket has: err, or the empty document doc.
func unconfigured(err error, doc any) func(*api, *request) error {
	return func(a *api, rq *request) error {
		if _, herr := a.objects.HeadBucket(rq.ctx(), rq.bucket); herr != nil {
			return herr
		}
		if err != nil {
			return err
		}
		writeXML(rq.w, http.StatusOK, doc)
		return nil
	}
}

type bucketLoggingStatus struct {
	XMLName xml.Name `xml:"BucketLoggingStatus"`
	NS      string   `xml:"xmlns,attr"`
}

type requestPaymentConfiguration struct {
	XMLName xml.Name `xml:"RequestPaymentConfiguration"`
	NS      string   `xml:"xmlns,attr"`
	Payer   string   `xml:"Payer"`
}

// emptyList is the answer to listing analytics, metrics, inventory or
// intelligent-tiering configurations of a bucket that has none.
type emptyList struct {
	XMLName     xml.Name
	NS          string `xml:"xmlns,attr"`
	IsTruncated bool   `xml:"IsTruncated"`
}

// listOrNone answers the list form (no id) with an empty list named root,
// and the form naming one configuration (id=) with NoSuchConfiguration.
func listOrNone(root string) func(*api, *request) error {
	return func(a *api, rq *request) error {
		if _, err := a.objects.HeadBucket(rq.ctx(), rq.bucket); err != nil {
			return err
		}
		if _, ok := rq.r.URL.Query()["id"]; ok {
			return errNoSuchConfiguration
		}
		writeXML(rq.w, http.StatusOK, emptyList{XMLName: xml.Name{Local: root}, NS: s3NS})
		return nil
	}
}

// deleteNone answers the DELETE of a configuration no bucket has: there
// is nothing to delete, which AWS answers 204.
func deleteNone(a *api, rq *request) error {
	if _, err := a.objects.HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

type accelerateConfiguration struct {
	XMLName xml.Name `xml:"AccelerateConfiguration"`
	NS      string   `xml:"xmlns,attr"`
}

// unconfiguredRoutes are the GETs above, in routes.go's form.
var unconfiguredRoutes = []route{
	{method: http.MethodGet, level: levelBucket, query: []string{"website"}, op: "GetBucketWebsite", fn: unconfigured(errNoSuchWebsite, nil)},
	{method: http.MethodGet, level: levelBucket, query: []string{"replication"}, op: "GetBucketReplication", fn: unconfigured(errNoReplication, nil)},
	{method: http.MethodGet, level: levelBucket, query: []string{"logging"}, op: "GetBucketLogging", fn: unconfigured(nil, bucketLoggingStatus{NS: s3NS})},
	{method: http.MethodGet, level: levelBucket, query: []string{"requestPayment"}, op: "GetBucketRequestPayment", fn: unconfigured(nil, requestPaymentConfiguration{NS: s3NS, Payer: "BucketOwner"})},
	{method: http.MethodGet, level: levelBucket, query: []string{"accelerate"}, op: "GetBucketAccelerateConfiguration", fn: unconfigured(nil, accelerateConfiguration{NS: s3NS})},
	{method: http.MethodGet, level: levelBucket, query: []string{"analytics"}, op: "ListBucketAnalyticsConfigurations", fn: listOrNone("ListBucketAnalyticsConfigurationResult")},
	{method: http.MethodGet, level: levelBucket, query: []string{"metrics"}, op: "ListBucketMetricsConfigurations", fn: listOrNone("ListMetricsConfigurationsResult")},
	{method: http.MethodGet, level: levelBucket, query: []string{"inventory"}, op: "ListBucketInventoryConfigurations", fn: listOrNone("ListInventoryConfigurationsResult")},
	{method: http.MethodGet, level: levelBucket, query: []string{"intelligent-tiering"}, op: "ListBucketIntelligentTieringConfigurations", fn: listOrNone("ListBucketIntelligentTieringConfigurationsOutput")},
	{method: http.MethodDelete, level: levelBucket, query: []string{"website"}, op: "DeleteBucketWebsite", fn: deleteNone},
	{method: http.MethodDelete, level: levelBucket, query: []string{"replication"}, op: "DeleteBucketReplication", fn: deleteNone},
	{method: http.MethodGet, level: levelObject, query: []string{"torrent"}, op: "GetObjectTorrent", fn: (*api).getObjectTorrent},
}

func init() { routes = append(routes, unconfiguredRoutes...) }

// getObjectTorrent answers GetObjectTorrent: the object is looked up as
// for any read (NoSuchBucket, NoSuchKey), then NotImplemented. AWS has not
// offered torrents in Regions launched after 2016; the one answer that
// must never come back is the object's own bytes.
func (a *api) getObjectTorrent(rq *request) error {
	in, err := getInput(rq)
	if err != nil {
		return err
	}
	if _, err := a.objects.HeadObject(rq.ctx(), in); err != nil {
		return err
	}
	return s3err.NotImplemented.WithMessage("GetObjectTorrent is not implemented.")
}
