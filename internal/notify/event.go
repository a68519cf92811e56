package notify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Event is one change to an object, as the object service (or the
// lifecycle runner) reports it after the change committed.
type Event struct {
	Name      string // ObjectCreatedPut, ...
	Bucket    string
	Key       string
	Size      int64
	ETag      string // unquoted
	VersionID string
	// Sequence orders the events of one key: the raft index of the
	// command that made the change (increasing for a key).
	Sequence uint64
	Time     time.Time
	// Config is the bucket's stored notification configuration.
	Config []byte
	// Request identifies the request that made the change, if any.
	RequestID, Principal, SourceIP string
}

// record is AWS's event message structure (version 2.1).
type record struct {
	EventVersion      string            `json:"eventVersion"`
	EventSource       string            `json:"eventSource"`
	AWSRegion         string            `json:"awsRegion"`
	EventTime         string            `json:"eventTime"`
	EventName         string            `json:"eventName"`
	UserIdentity      principal         `json:"userIdentity"`
	RequestParameters map[string]string `json:"requestParameters"`
	ResponseElements  map[string]string `json:"responseElements"`
	S3                s3Entity          `json:"s3"`
}

type principal struct {
	PrincipalID string `json:"principalId"`
}

type s3Entity struct {
	SchemaVersion   string     `json:"s3SchemaVersion"`
	ConfigurationID string     `json:"configurationId"`
	Bucket          bucketInfo `json:"bucket"`
	Object          objectInfo `json:"object"`
}

type bucketInfo struct {
	Name          string    `json:"name"`
	OwnerIdentity principal `json:"ownerIdentity"`
	ARN           string    `json:"arn"`
}

type objectInfo struct {
	Key       string `json:"key"`
	Size      int64  `json:"size,omitempty"`
	ETag      string `json:"eTag,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	Sequencer string `json:"sequencer"`
}

// message renders the JSON document ({"Records":[...]}) of one event for
// one configuration.
func message(e *Event, configID, region string) ([]byte, error) {
	r := record{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: region,
		EventTime:         e.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		EventName:         e.Name,
		UserIdentity:      principal{PrincipalID: e.Principal},
		RequestParameters: map[string]string{"sourceIPAddress": e.SourceIP},
		ResponseElements:  map[string]string{"x-amz-request-id": e.RequestID},
		S3: s3Entity{
			SchemaVersion: "1.0", ConfigurationID: configID,
			Bucket: bucketInfo{Name: e.Bucket, ARN: "arn:aws:s3:::" + e.Bucket},
			Object: objectInfo{
				// AWS sends the key URL-encoded as in an HTML form.
				Key:  strings.ReplaceAll(url.QueryEscape(e.Key), "%2F", "/"),
				Size: e.Size, ETag: e.ETag, VersionID: e.VersionID,
				Sequencer: fmt.Sprintf("%016X", e.Sequence),
			},
		},
	}
	return json.Marshal(map[string][]record{"Records": {r}})
}
