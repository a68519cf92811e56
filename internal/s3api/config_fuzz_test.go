package s3api

import (
	"encoding/xml"
	"reflect"
	"testing"

	"github.com/anode/anode/internal/notify"
)

// FuzzLifecycleXML: any document either is refused with an S3 error or
// gives rules that survive a round trip through the XML Anode answers.
func FuzzLifecycleXML(f *testing.F) {
	f.Add(`<LifecycleConfiguration><Rule><ID>a</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>`)
	f.Add(`<LifecycleConfiguration><Rule><Filter><And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>`)
	f.Add(`<LifecycleConfiguration><Rule><Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule></LifecycleConfiguration>`)
	f.Fuzz(func(t *testing.T, doc string) {
		var x lifecycleConfiguration
		if xml.Unmarshal([]byte(doc), &x) != nil {
			return
		}
		cfg, err := parseLifecycle(&x)
		if err != nil {
			return
		}
		out, err := xml.Marshal(lifecycleXML(cfg))
		if err != nil {
			t.Fatal(err)
		}
		var y lifecycleConfiguration
		if err := xml.Unmarshal(out, &y); err != nil {
			t.Fatalf("answer does not parse: %v\n%s", err, out)
		}
		again, err := parseLifecycle(&y)
		if err != nil {
			t.Fatalf("answer refused: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(cfg, again) {
			t.Fatalf("round trip changed the rules:\n%+v\n%+v\n%s", cfg, again, out)
		}
	})
}

// FuzzNotificationXML: any document either is refused or parses into
// rules that validate against the known targets or are refused by it.
func FuzzNotificationXML(f *testing.F) {
	f.Add(`<NotificationConfiguration><QueueConfiguration><Id>a</Id><Queue>arn:anode:sqs::1:webhook</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>p/</Value></FilterRule></S3Key></Filter></QueueConfiguration></NotificationConfiguration>`)
	f.Fuzz(func(t *testing.T, doc string) {
		var x notificationDoc
		if xml.Unmarshal([]byte(doc), &x) != nil {
			return
		}
		cfg, err := parseNotification(&x)
		if err != nil {
			return
		}
		_ = cfg.Validate(map[string]bool{notify.WebhookARN: true})
		for _, r := range cfg.Rules {
			cfg.Match("ObjectCreated:Put", r.Prefix+"x"+r.Suffix)
		}
	})
}
