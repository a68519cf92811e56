// Package lifecycle holds S3 lifecycle rules: their validation, what they
// decide about a version or an upload at a given time, and the runner
// that carries the decisions out in the background on the leader of each
// placement group.
//
// The rules are stored, JSON-encoded by this package, in the bucket's
// record (meta.Bucket.Lifecycle). The S3 layer translates AWS's XML to
// and from Config.
package lifecycle

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// Config is a bucket's lifecycle configuration.
type Config struct {
	Rules []Rule `json:"rules"`
}

// Rule is one lifecycle rule. Zero values mean "not given".
type Rule struct {
	ID      string `json:"id,omitempty"`
	Enabled bool   `json:"on"`
	Filter  Filter `json:"f"`
	// Expiration of current versions: after Days, or from Date (unix
	// seconds of a midnight UTC); or, with ExpiredObjectDeleteMarker,
	// removal of delete markers with no version behind them.
	ExpirationDays            int   `json:"ed,omitempty"`
	ExpirationDate            int64 `json:"edate,omitempty"`
	ExpiredObjectDeleteMarker bool  `json:"edm,omitempty"`
	// NoncurrentDays after a version became noncurrent it is removed,
	// except the NewerNoncurrentVersions newest noncurrent versions.
	NoncurrentDays          int `json:"nd,omitempty"`
	NewerNoncurrentVersions int `json:"nnv,omitempty"`
	// AbortDays after its initiation a multipart upload is aborted.
	AbortDays int `json:"ad,omitempty"`
}

// Filter selects the objects a rule applies to: all of its conditions
// must hold. A zero Filter selects every object.
type Filter struct {
	Prefix string            `json:"p,omitempty"`
	Tags   map[string]string `json:"t,omitempty"`
	// SizeGreaterThan and SizeLessThan are strict bounds; 0 means none
	// (for SizeGreaterThan, 0 is also AWS's "greater than 0 bytes", which
	// HasSizeGreaterThan tells apart).
	SizeGreaterThan    int64 `json:"sgt,omitempty"`
	HasSizeGreaterThan bool  `json:"hsgt,omitempty"`
	SizeLessThan       int64 `json:"slt,omitempty"`
}

// MaxRules is the most rules a configuration may have (AWS's limit).
const MaxRules = 1000

// Encode and Decode are the stored form of a Config.
func (c *Config) Encode() ([]byte, error) { return json.Marshal(c) }

// Decode parses a stored configuration; nil or empty means none.
func Decode(b []byte) (*Config, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode lifecycle configuration: %w", err)
	}
	return &c, nil
}

func invalid(format string, args ...any) error {
	return s3err.InvalidArgument.WithMessage(format, args...)
}

// Validate checks a configuration as AWS does, with AWS's errors.
func (c *Config) Validate() error {
	if len(c.Rules) == 0 || len(c.Rules) > MaxRules {
		return s3err.MalformedXML
	}
	ids := map[string]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		if len(r.ID) > 255 {
			return invalid("ID length should not exceed allowed limit of 255")
		}
		if r.ID != "" {
			if ids[r.ID] {
				return invalid("Rule ID must be unique. Found same ID for more than one rule")
			}
			ids[r.ID] = true
		}
		actions := 0
		if r.ExpirationDays != 0 || r.ExpirationDate != 0 || r.ExpiredObjectDeleteMarker {
			actions++
			n := 0
			for _, set := range []bool{r.ExpirationDays != 0, r.ExpirationDate != 0, r.ExpiredObjectDeleteMarker} {
				if set {
					n++
				}
			}
			if n > 1 {
				return s3err.MalformedXML
			}
			if r.ExpirationDays < 0 {
				return invalid("'Days' for Expiration action must be a positive integer")
			}
			if r.ExpirationDate != 0 && r.ExpirationDate%86400 != 0 {
				return invalid("'Date' must be at midnight GMT")
			}
			if r.ExpiredObjectDeleteMarker && len(r.Filter.Tags) > 0 {
				return invalid("ExpiredObjectDeleteMarker cannot be specified with a Tag filter.")
			}
		}
		if r.NoncurrentDays != 0 || r.NewerNoncurrentVersions != 0 {
			actions++
			if r.NoncurrentDays <= 0 {
				return invalid("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
			}
			if r.NewerNoncurrentVersions < 0 || r.NewerNoncurrentVersions > 100 {
				return invalid("'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to 100")
			}
		}
		if r.AbortDays != 0 {
			actions++
			if r.AbortDays < 0 {
				return invalid("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
			}
			if len(r.Filter.Tags) > 0 || r.Filter.HasSizeGreaterThan || r.Filter.SizeLessThan != 0 {
				return invalid("AbortIncompleteMultipartUpload cannot be specified with Tags or object size filters.")
			}
		}
		if actions == 0 {
			return s3err.InvalidRequest.WithMessage("At least one action needs to be specified in a rule")
		}
		f := &r.Filter
		if f.SizeGreaterThan < 0 || f.SizeLessThan < 0 {
			return invalid("Object size filters must be non-negative")
		}
		if f.SizeLessThan != 0 && f.HasSizeGreaterThan && f.SizeLessThan <= f.SizeGreaterThan {
			return invalid("ObjectSizeLessThan must be greater than ObjectSizeGreaterThan")
		}
		for k := range f.Tags {
			if k == "" || len(k) > 128 {
				return s3err.InvalidTag
			}
		}
	}
	return nil
}

// Clock turns rule days into times. Day is the length of a day: 24h in
// production, shorter in tests (lifecycle.day_seconds). As in S3, a time
// computed from a number of days is rounded up to the next day boundary
// (midnight UTC for 24h days).
type Clock struct{ Day time.Duration }

func (c Clock) day() time.Duration {
	if c.Day <= 0 {
		return 24 * time.Hour
	}
	return c.Day
}

// after returns the day boundary at or after `from` plus n days.
func (c Clock) after(from int64, n int) time.Time {
	d := int64(c.day())
	t := from + int64(n)*d
	if r := t % d; r != 0 {
		t += d - r
	}
	return time.Unix(0, t).UTC()
}

func (f *Filter) matches(key string, v *meta.Version) bool {
	if !strings.HasPrefix(key, f.Prefix) {
		return false
	}
	for k, want := range f.Tags {
		if got, ok := v.Tags[k]; !ok || got != want {
			return false
		}
	}
	if f.HasSizeGreaterThan && v.Size <= f.SizeGreaterThan {
		return false
	}
	if f.SizeLessThan != 0 && v.Size >= f.SizeLessThan {
		return false
	}
	return true
}

// Expiry returns when the current version v of key expires under the
// configuration's Expiration rules (Days or Date), and the rule that
// decides: the earliest of the matching enabled rules. ok is false when no
// rule expires it. A delete marker has no expiry (see MarkerExpired).
func (c *Config) Expiry(clk Clock, key string, v *meta.Version) (at time.Time, ruleID string, ok bool) {
	if c == nil || v.DeleteMarker {
		return time.Time{}, "", false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if !r.Enabled || !r.Filter.matches(key, v) {
			continue
		}
		var t time.Time
		switch {
		case r.ExpirationDays > 0:
			t = clk.after(v.Modified, r.ExpirationDays)
		case r.ExpirationDate != 0:
			t = time.Unix(r.ExpirationDate, 0).UTC()
		default:
			continue
		}
		if !ok || t.Before(at) {
			at, ruleID, ok = t, r.ID, true
		}
	}
	return at, ruleID, ok
}

// MarkerExpired reports whether a rule removes the current delete marker
// of key that has no noncurrent version behind it. Delete markers have no
// tags and no size: only a rule's prefix selects them, and a rule with a
// size filter does not apply to them.
func (c *Config) MarkerExpired(key string) (string, bool) {
	if c == nil {
		return "", false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		f := &r.Filter
		if r.Enabled && r.ExpiredObjectDeleteMarker && strings.HasPrefix(key, f.Prefix) &&
			!f.HasSizeGreaterThan && f.SizeLessThan == 0 {
			return r.ID, true
		}
	}
	return "", false
}

// NoncurrentDue reports whether the noncurrent version v of key, which
// became noncurrent at `since` (the time its successor was written) and
// has `newer` noncurrent versions newer than itself, is removed at now.
func (c *Config) NoncurrentDue(clk Clock, key string, v *meta.Version, since int64, newer int, now time.Time) (string, bool) {
	if c == nil {
		return "", false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if !r.Enabled || r.NoncurrentDays <= 0 || !r.Filter.matches(key, v) {
			continue
		}
		if newer < r.NewerNoncurrentVersions {
			continue
		}
		if !now.Before(clk.after(since, r.NoncurrentDays)) {
			return r.ID, true
		}
	}
	return "", false
}

// UploadDue reports whether the multipart upload u is aborted at now.
func (c *Config) UploadDue(clk Clock, u *meta.Upload, now time.Time) (string, bool) {
	if c == nil {
		return "", false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if !r.Enabled || r.AbortDays <= 0 || !strings.HasPrefix(u.Key, r.Filter.Prefix) {
			continue
		}
		if !now.Before(clk.after(u.Initiated, r.AbortDays)) {
			return r.ID, true
		}
	}
	return "", false
}
