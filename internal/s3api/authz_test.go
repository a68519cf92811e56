package s3api

import "testing"

// TestEveryRouteHasAnAction: a route without an AWS action is refused to
// every IAM user; this test makes adding one without mapping it fail.
func TestEveryRouteHasAnAction(t *testing.T) {
	for _, r := range routes {
		if _, ok := ActionOf(r.op); !ok {
			t.Errorf("route %s (%s) has no entry in opActions (authz.go)", r.op, r.method)
		}
	}
}

func TestVersionedActions(t *testing.T) {
	for action, want := range map[string]string{
		"s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion",
		"s3:PutObjectTagging": "s3:PutObjectVersionTagging", "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
		"s3:PutObject": "s3:PutObject",
	} {
		if got := versioned(action, "v1"); got != want {
			t.Errorf("versioned(%s) = %s, want %s", action, got, want)
		}
		if got := versioned(action, ""); got != action {
			t.Errorf("versioned(%s, \"\") = %s", action, got)
		}
	}
}
