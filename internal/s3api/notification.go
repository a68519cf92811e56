package s3api

import (
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/anode/anode/internal/notify"
	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// Bucket event notifications: the configuration, in AWS's XML. Events are
// produced by the object service and delivered by internal/notify.

var notificationRoutes = []route{
	{method: http.MethodGet, level: levelBucket, query: []string{"notification"}, op: "GetBucketNotificationConfiguration", fn: (*api).getBucketNotification},
	{method: http.MethodPut, level: levelBucket, query: []string{"notification"}, op: "PutBucketNotificationConfiguration", fn: (*api).putBucketNotification},
}

func init() { routes = append(append([]route(nil), notificationRoutes...), routes...) }

type notificationDoc struct {
	XMLName     xml.Name             `xml:"NotificationConfiguration"`
	NS          string               `xml:"xmlns,attr,omitempty"`
	Queues      []notificationTarget `xml:"QueueConfiguration"`
	Topics      []notificationTarget `xml:"TopicConfiguration"`
	Functions   []struct{}           `xml:"CloudFunctionConfiguration"`
	EventBridge *struct{}            `xml:"EventBridgeConfiguration"`
}

type notificationTarget struct {
	ID     string              `xml:"Id,omitempty"`
	Queue  string              `xml:"Queue,omitempty"`
	Topic  string              `xml:"Topic,omitempty"`
	Events []string            `xml:"Event"`
	Filter *notificationFilter `xml:"Filter,omitempty"`
}

type notificationFilter struct {
	Rules []filterRule `xml:"S3Key>FilterRule"`
}

type filterRule struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

func parseNotification(doc *notificationDoc) (*notify.BucketConfig, error) {
	if len(doc.Functions) > 0 || doc.EventBridge != nil {
		return nil, s3err.NotImplemented.WithMessage("Only QueueConfiguration and TopicConfiguration targets are implemented.")
	}
	cfg := &notify.BucketConfig{}
	add := func(kind string, ts []notificationTarget) error {
		for _, t := range ts {
			r := notify.Rule{ID: t.ID, Kind: kind, ARN: t.Queue, Events: t.Events}
			if kind == "Topic" {
				r.ARN = t.Topic
			}
			if r.ID == "" {
				r.ID = fmt.Sprintf("%s-%d", strings.ToLower(kind), len(cfg.Rules)+1)
			}
			if t.Filter != nil {
				seen := map[string]bool{}
				for _, fr := range t.Filter.Rules {
					name := strings.ToLower(fr.Name)
					if seen[name] {
						return s3err.InvalidArgument.WithMessage("Cannot specify more than one %s rule in a filter.", name)
					}
					seen[name] = true
					switch name {
					case "prefix":
						r.Prefix = fr.Value
					case "suffix":
						r.Suffix = fr.Value
					default:
						return s3err.InvalidArgument.WithMessage("filter rule name must be either prefix or suffix")
					}
				}
			}
			cfg.Rules = append(cfg.Rules, r)
		}
		return nil
	}
	if err := add("Queue", doc.Queues); err != nil {
		return nil, err
	}
	if err := add("Topic", doc.Topics); err != nil {
		return nil, err
	}
	return cfg, nil
}

// getBucketNotification serves GET /bucket?notification.
func (a *api) getBucketNotification(rq *request) error {
	enc, err := a.objects.BucketNotification(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	cfg, err := notify.Decode(enc)
	if err != nil {
		return err
	}
	doc := notificationDoc{NS: s3NS}
	if cfg != nil {
		for _, r := range cfg.Rules {
			t := notificationTarget{ID: r.ID, Events: r.Events}
			if r.Prefix != "" || r.Suffix != "" {
				t.Filter = &notificationFilter{}
				if r.Prefix != "" {
					t.Filter.Rules = append(t.Filter.Rules, filterRule{Name: "Prefix", Value: r.Prefix})
				}
				if r.Suffix != "" {
					t.Filter.Rules = append(t.Filter.Rules, filterRule{Name: "Suffix", Value: r.Suffix})
				}
			}
			if r.Kind == "Topic" {
				t.Topic = r.ARN
				doc.Topics = append(doc.Topics, t)
			} else {
				t.Queue = r.ARN
				doc.Queues = append(doc.Queues, t)
			}
		}
	}
	writeXML(rq.w, http.StatusOK, doc)
	return nil
}

// putBucketNotification serves PUT /bucket?notification. Every target
// must be one the operator configured (notify.WebhookARN, notify.RedisARN).
func (a *api) putBucketNotification(rq *request) error {
	var doc notificationDoc
	if err := readXML(rq.body, maxConfigBody, &doc, false); err != nil {
		return err
	}
	cfg, err := parseNotification(&doc)
	if err != nil {
		return err
	}
	targets := map[string]bool{}
	if a.notifier != nil {
		targets = a.notifier.Targets()
	}
	if err := cfg.Validate(targets); err != nil {
		return err
	}
	var enc []byte
	if len(cfg.Rules) > 0 {
		if enc, err = cfg.Encode(); err != nil {
			return err
		}
	}
	if err := a.objects.SetBucketNotification(rq.ctx(), rq.bucket, enc); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// withObjectContext puts into the request's context what the object
// service reads from it: the governance bypass the request asked for, and
// the request's identity for event records.
func (a *api) withObjectContext(rq *request) {
	a.withGovernanceBypass(rq)
	ip, _, err := net.SplitHostPort(rq.r.RemoteAddr)
	if err != nil {
		ip = rq.r.RemoteAddr
	}
	ri := object.RequestInfo{RequestID: rq.id, SourceIP: ip}
	if rq.auth != nil {
		ri.AccessKey = rq.auth.AccessKey
	}
	rq.r = rq.r.WithContext(object.WithRequestInfo(rq.r.Context(), ri))
}
