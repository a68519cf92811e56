package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/anode/anode/internal/testutil"
)

// TestLifecycleLeaderKilled runs an expiration rule over a versioned
// bucket on a 3-node cluster, at a low rate so that the run takes several
// seconds, and kills node 1 (which leads about a third of the groups) in
// the middle of it. Afterwards every object the rule selects has exactly
// one delete marker on top of its data — none skipped, none expired twice
// (a second marker is what a repeated expiration would leave) — and no
// other object was touched.
//
// This test did not fail when the IfSeq condition of meta.expire was
// dropped: the new leaders' runs start after a read barrier and see the
// old leader's committed actions. TestLifecycleStaleDecision is the test
// that shows that condition is needed.
func TestLifecycleLeaderKilled(t *testing.T) {
	cl := testutil.StartCluster(t, 3, "--set", "lifecycle.day_seconds=1", "--set", "lifecycle.interval_secs=1", "--set", "lifecycle.rate=10")
	c1 := testutil.S3Client(cl.Nodes[0].Endpoint)
	c2 := testutil.S3Client(cl.Nodes[1].Endpoint)
	ctx := context.Background()
	b := bucketName("lck")
	_, err := c1.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
	must(t, "create", err)
	_, err = c1.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	must(t, "versioning", err)

	const n = 150
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	sem := make(chan struct{}, 8)
	for i := 0; i < n; i++ {
		for _, prefix := range []string{"exp/", "keep/"} {
			wg.Add(1)
			sem <- struct{}{}
			go func(key string) {
				defer func() { <-sem; wg.Done() }()
				_, err := c1.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader(key)})
				if err != nil {
					errs <- fmt.Errorf("put %s: %w", key, err)
				}
			}(fmt.Sprintf("%s%03d", prefix, i))
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r := rule("exp", prefixFilter("exp/"))
	r.Expiration = &types.LifecycleExpiration{Days: aws.Int32(1)}
	setRules(t, c1, b, r)

	markers := func(c *s3.Client) (map[string]int, map[string]int, error) {
		dm, data := map[string]int{}, map[string]int{}
		p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, nil, err
			}
			for _, v := range page.Versions {
				data[aws.ToString(v.Key)]++
			}
			for _, m := range page.DeleteMarkers {
				dm[aws.ToString(m.Key)]++
			}
		}
		return dm, data, nil
	}
	// Kill node 1 once the run is under way, well before it can be done
	// (150 actions at 10/s per node take several seconds).
	eventually(t, 30*time.Second, "expiration under way", func() error {
		dm, _, err := markers(c2)
		if err != nil {
			return err
		}
		if len(dm) < 10 {
			return fmt.Errorf("%d keys expired", len(dm))
		}
		if len(dm) >= n {
			t.Fatalf("the run finished before node 1 could be killed (%d keys); lower lifecycle.rate", len(dm))
		}
		return nil
	})
	cl.Nodes[0].Kill()

	eventually(t, 90*time.Second, "every exp/ key expired", func() error {
		dm, _, err := markers(c2)
		if err != nil {
			return err
		}
		if len(dm) < n {
			return fmt.Errorf("%d of %d keys expired", len(dm), n)
		}
		return nil
	})
	// Check, over several more runs of the survivors (one a second), that
	// nothing was expired twice and nothing else was touched.
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		dm, data, err := markers(c2)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			exp, keep := fmt.Sprintf("exp/%03d", i), fmt.Sprintf("keep/%03d", i)
			if dm[exp] != 1 || data[exp] != 1 {
				t.Fatalf("%s: %d delete markers and %d versions, want 1 and 1", exp, dm[exp], data[exp])
			}
			if dm[keep] != 0 || data[keep] != 1 {
				t.Fatalf("%s: %d delete markers and %d versions, want 0 and 1", keep, dm[keep], data[keep])
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
}
