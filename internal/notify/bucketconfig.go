// Package notify delivers S3 event notifications: a bucket's
// notification configuration (which events, filtered by key prefix and
// suffix, go to which target), the AWS event record, and the targets the
// operator configures (an HTTP webhook, a Redis list), each fed from a
// persistent on-disk queue so that events survive a restart and an outage
// of the target.
package notify

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/anode/anode/internal/s3err"
)

// Event names, as in AWS's event records (without the "s3:" prefix of
// the configuration).
const (
	ObjectCreatedPut                = "ObjectCreated:Put"
	ObjectCreatedPost               = "ObjectCreated:Post"
	ObjectCreatedCopy               = "ObjectCreated:Copy"
	ObjectCreatedComplete           = "ObjectCreated:CompleteMultipartUpload"
	ObjectRemovedDelete             = "ObjectRemoved:Delete"
	ObjectRemovedDeleteMarker       = "ObjectRemoved:DeleteMarkerCreated"
	ObjectTaggingPut                = "ObjectTagging:Put"
	ObjectTaggingDelete             = "ObjectTagging:Delete"
	LifecycleExpirationDelete       = "LifecycleExpiration:Delete"
	LifecycleExpirationDeleteMarker = "LifecycleExpiration:DeleteMarkerCreated"
)

var eventNames = []string{
	ObjectCreatedPut, ObjectCreatedPost, ObjectCreatedCopy, ObjectCreatedComplete,
	ObjectRemovedDelete, ObjectRemovedDeleteMarker, ObjectTaggingPut, ObjectTaggingDelete,
	LifecycleExpirationDelete, LifecycleExpirationDeleteMarker,
}

// validPattern reports whether p ("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete", ...)
// names at least one event Anode produces or accepts.
func validPattern(p string) bool {
	name, ok := strings.CutPrefix(p, "s3:")
	if !ok {
		return false
	}
	for _, e := range eventNames {
		if matchPattern(name, e) {
			return true
		}
	}
	return false
}

// matchPattern matches an event name against a configured pattern
// (without "s3:"): the exact name, or "Family:*".
func matchPattern(pattern, event string) bool {
	if fam, ok := strings.CutSuffix(pattern, ":*"); ok {
		return strings.HasPrefix(event, fam+":")
	}
	return pattern == event
}

// BucketConfig is a bucket's notification configuration.
type BucketConfig struct {
	Rules []Rule `json:"rules"`
}

// Rule sends the events matching Events whose key has Prefix and Suffix
// to the target named by ARN. Kind is "Queue" or "Topic", as given.
type Rule struct {
	ID     string   `json:"id"`
	Kind   string   `json:"kind"`
	ARN    string   `json:"arn"`
	Events []string `json:"events"`
	Prefix string   `json:"prefix,omitempty"`
	Suffix string   `json:"suffix,omitempty"`
}

// Encode returns the stored form of c.
func (c *BucketConfig) Encode() ([]byte, error) { return json.Marshal(c) }

// Decode parses a stored configuration; empty means none.
func Decode(b []byte) (*BucketConfig, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var c BucketConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode notification configuration: %w", err)
	}
	return &c, nil
}

// Validate checks c against the targets the operator configured (their
// ARNs), with AWS's errors.
func (c *BucketConfig) Validate(targets map[string]bool) error {
	ids := map[string]bool{}
	for _, r := range c.Rules {
		if !targets[r.ARN] {
			return s3err.InvalidArgument.WithMessage("Unable to validate the following destination configurations: %s is not a target configured on this server", r.ARN)
		}
		if len(r.Events) == 0 {
			return s3err.InvalidArgument.WithMessage("At least one event must be specified")
		}
		for _, e := range r.Events {
			if !validPattern(e) {
				return s3err.InvalidArgument.WithMessage("The event %q is not supported for notifications", e)
			}
		}
		if ids[r.ID] {
			return s3err.InvalidArgument.WithMessage("Configuration IDs must be unique: %q", r.ID)
		}
		ids[r.ID] = true
		if len(r.Prefix) > 1024 || len(r.Suffix) > 1024 {
			return s3err.InvalidArgument.WithMessage("The filter rule value is too long")
		}
	}
	// AWS refuses two rules whose filters could both select one event of
	// a type they share ("Configurations overlap").
	for i := range c.Rules {
		for j := i + 1; j < len(c.Rules); j++ {
			a, b := &c.Rules[i], &c.Rules[j]
			if overlaps(a, b) {
				return s3err.InvalidArgument.WithMessage("Configurations overlap. Configurations on the same bucket cannot share a common event type.")
			}
		}
	}
	return nil
}

func overlaps(a, b *Rule) bool {
	shared := false
	for _, ea := range a.Events {
		for _, eb := range b.Events {
			for _, e := range eventNames {
				if matchPattern(strings.TrimPrefix(ea, "s3:"), e) && matchPattern(strings.TrimPrefix(eb, "s3:"), e) {
					shared = true
				}
			}
		}
	}
	if !shared {
		return false
	}
	prefixes := strings.HasPrefix(a.Prefix, b.Prefix) || strings.HasPrefix(b.Prefix, a.Prefix)
	suffixes := strings.HasSuffix(a.Suffix, b.Suffix) || strings.HasSuffix(b.Suffix, a.Suffix)
	return prefixes && suffixes
}

// Match returns the rules that send an event of name about key.
func (c *BucketConfig) Match(name, key string) []Rule {
	if c == nil {
		return nil
	}
	var out []Rule
	for _, r := range c.Rules {
		if !strings.HasPrefix(key, r.Prefix) || !strings.HasSuffix(key, r.Suffix) {
			continue
		}
		for _, p := range r.Events {
			if matchPattern(strings.TrimPrefix(p, "s3:"), name) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}
