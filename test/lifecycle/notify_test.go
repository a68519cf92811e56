package lifecycle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/redis/go-redis/v9"

	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/notify"
	"github.com/anode/anode/internal/testutil"
)

// eventRecord is the part of AWS's event record the tests read.
type eventRecord struct {
	Records []struct {
		EventName string `json:"eventName"`
		S3        struct {
			ConfigurationID string `json:"configurationId"`
			Bucket          struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key       string `json:"key"`
				Size      int64  `json:"size"`
				ETag      string `json:"eTag"`
				VersionID string `json:"versionId"`
				Sequencer string `json:"sequencer"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

func (r eventRecord) String() string {
	if len(r.Records) != 1 {
		return fmt.Sprintf("<%d records>", len(r.Records))
	}
	return r.Records[0].EventName + " " + r.Records[0].S3.Object.Key
}

// receiver is a webhook endpoint that can be taken down (it then answers
// 503, as a target in an outage).
type receiver struct {
	srv    *httptest.Server
	down   atomic.Bool
	mu     sync.Mutex
	got    []eventRecord
	badAut atomic.Int64
}

func newReceiver(t *testing.T, wantAuth string) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != wantAuth {
			rc.badAut.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if rc.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var rec eventRecord
		if err := json.Unmarshal(body, &rec); err != nil {
			t.Errorf("webhook body is not an event record: %v: %s", err, body)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.got = append(rc.got, rec)
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) events() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, r := range rc.got {
		out = append(out, r.String())
	}
	return out
}

// startRedis runs redis-server on a free loopback port in a temp dir. The
// test fails (it does not skip) when redis-server is not installed.
func startRedis(t *testing.T, port int, dir string) *exec.Cmd {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is needed (Debian package redis-server): %v", err)
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "yes")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer c.Close()
	eventually(t, 10*time.Second, "redis-server up", func() error { return c.Ping(context.Background()).Err() })
	return cmd
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestNotifications runs a scripted session against a bucket whose
// notification configuration sends n/ events to a webhook and r/ events
// to Redis. Both targets go down for part of the session, and the server
// restarts while they are down: every event still arrives, in order.
func TestNotifications(t *testing.T) {
	rc := newReceiver(t, "Bearer s3cret")
	redisPort, redisDir := freePort(t), t.TempDir()
	redisCmd := startRedis(t, redisPort, redisDir)
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", redisPort)})
	defer rdb.Close()

	dataDir := t.TempDir()
	configure := func(cfg *config.Config) {
		fastLifecycle(cfg)
		cfg.Notify.WebhookEndpoint = rc.srv.URL + "/events"
		cfg.Notify.WebhookAuthorization = "Bearer s3cret"
		cfg.Notify.RedisAddr = fmt.Sprintf("127.0.0.1:%d", redisPort)
		cfg.Notify.RedisKey = "events"
	}
	srv := testutil.Start(t, testutil.Options{DataDir: dataDir, Configure: configure})
	c := testutil.S3Client(srv.Endpoint)
	ctx := context.Background()
	b := bucketName("ntf")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
	must(t, "create", err)
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	must(t, "versioning", err)

	// Refusals first: an unknown target, an unknown event, overlapping rules.
	for name, nc := range map[string]*types.NotificationConfiguration{
		"unknown target": {QueueConfigurations: []types.QueueConfiguration{{QueueArn: aws.String("arn:anode:sqs::1:nowhere"), Events: []types.Event{"s3:ObjectCreated:*"}}}},
		"unknown event":  {QueueConfigurations: []types.QueueConfiguration{{QueueArn: aws.String(notify.WebhookARN), Events: []types.Event{"s3:Replication:*"}}}},
		"overlap": {QueueConfigurations: []types.QueueConfiguration{
			{QueueArn: aws.String(notify.WebhookARN), Events: []types.Event{"s3:ObjectCreated:*"}},
			{QueueArn: aws.String(notify.RedisARN), Events: []types.Event{"s3:ObjectCreated:Put"}}}},
	} {
		_, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(b), NotificationConfiguration: nc})
		wantCode(t, name, err, "InvalidArgument")
	}

	prefix := func(p string) *types.NotificationConfigurationFilter {
		return &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: []types.FilterRule{{Name: types.FilterRuleNamePrefix, Value: aws.String(p)}}}}
	}
	_, err = c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(b),
		NotificationConfiguration: &types.NotificationConfiguration{
			QueueConfigurations: []types.QueueConfiguration{{Id: aws.String("hook"), QueueArn: aws.String(notify.WebhookARN),
				Events: []types.Event{"s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectTagging:*", "s3:LifecycleExpiration:*"},
				Filter: prefix("n/")}},
			TopicConfigurations: []types.TopicConfiguration{{Id: aws.String("list"), TopicArn: aws.String(notify.RedisARN),
				Events: []types.Event{"s3:ObjectCreated:Put", "s3:ObjectRemoved:*"}, Filter: prefix("r/")}},
		}})
	must(t, "put notification configuration", err)
	got, err := c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(b)})
	must(t, "get notification configuration", err)
	if len(got.QueueConfigurations) != 1 || aws.ToString(got.QueueConfigurations[0].QueueArn) != notify.WebhookARN ||
		len(got.TopicConfigurations) != 1 || aws.ToString(got.TopicConfigurations[0].Id) != "list" {
		t.Fatalf("configuration read back: %+v", got)
	}

	// The scripted session, part 1: targets up.
	put(t, c, b, "n/a", "a", nil)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("n/b"), CopySource: aws.String(b + "/n/a")})
	must(t, "copy", err)
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("n/c")})
	must(t, "create upload", err)
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("n/c"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
	must(t, "upload part", err)
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("n/c"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	must(t, "complete", err)
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("n/a"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}})
	must(t, "tag", err)
	_, err = c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("n/a")})
	must(t, "untag", err)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("n/b")})
	must(t, "delete", err)
	bv := put(t, c, b, "n/v", "v", nil)
	must(t, "delete version", deleteVersion(c, b, "n/v", bv, false))
	postForm(t, c, b, "n/post", "posted")
	put(t, c, b, "x/ignored", "x", nil) // no rule selects it
	put(t, c, b, "r/1", "1", nil)

	want := []string{
		"ObjectCreated:Put n/a", "ObjectCreated:Copy n/b", "ObjectCreated:CompleteMultipartUpload n/c",
		"ObjectTagging:Put n/a", "ObjectTagging:Delete n/a", "ObjectRemoved:DeleteMarkerCreated n/b",
		"ObjectCreated:Put n/v", "ObjectRemoved:Delete n/v", "ObjectCreated:Post n/post",
	}
	waitEvents := func(what string, want []string) {
		t.Helper()
		eventually(t, 30*time.Second, what, func() error {
			if got := rc.events(); !slices.Equal(got, want) {
				return fmt.Errorf("webhook got %v, want %v", got, want)
			}
			return nil
		})
	}
	waitEvents("webhook events, part 1", want)
	redisWant := []string{"ObjectCreated:Put r/1"}
	waitRedis := func(what string, want []string) {
		t.Helper()
		eventually(t, 30*time.Second, what, func() error {
			vals, err := rdb.LRange(ctx, "events", 0, -1).Result()
			if err != nil {
				return err
			}
			var got []string
			for _, v := range vals {
				var rec eventRecord
				if err := json.Unmarshal([]byte(v), &rec); err != nil {
					t.Fatalf("redis entry is not an event record: %v: %s", err, v)
				}
				got = append(got, rec.String())
			}
			if !slices.Equal(got, want) {
				return fmt.Errorf("redis got %v, want %v", got, want)
			}
			return nil
		})
	}
	waitRedis("redis events, part 1", redisWant)
	first := rc.got[0].Records[0]
	if first.S3.Bucket.Name != b || first.S3.ConfigurationID != "hook" || first.S3.Object.Size != 1 || first.S3.Object.ETag == "" ||
		first.S3.Object.VersionID == "" || first.S3.Object.Sequencer == "" {
		t.Fatalf("event record: %+v", first)
	}

	// Part 2: both targets down; events are queued, then the server
	// restarts with them still queued.
	rc.down.Store(true)
	redisCmd.Process.Kill()
	redisCmd.Wait()
	put(t, c, b, "n/d", "d", nil)
	put(t, c, b, "n/e", "e", nil)
	put(t, c, b, "r/2", "2", nil)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("r/1")})
	must(t, "delete r/1", err)
	eventually(t, 10*time.Second, "delivery failures counted", func() error {
		if testutil.Metric(t, srv.AdminURL, "anode_notify_delivery_failures_total") < 2 {
			return fmt.Errorf("no delivery failures yet")
		}
		return nil
	})
	if q := testutil.Metric(t, srv.AdminURL, "anode_notify_queue_length"); q < 4 {
		t.Fatalf("queue length %v, want 4 events waiting", q)
	}
	srv.Stop()
	srv = testutil.Start(t, testutil.Options{DataDir: dataDir, Configure: configure})
	c = testutil.S3Client(srv.Endpoint)
	// A lifecycle expiration while the webhook is still down.
	put(t, c, b, "n/life", "l", nil)
	r := rule("life", prefixFilter("n/life"))
	r.Expiration = &types.LifecycleExpiration{Days: aws.Int32(1)}
	setRules(t, c, b, r)
	eventually(t, 20*time.Second, "n/life expired", func() error {
		ok, err := exists(c, b, "n/life")
		if err == nil && ok {
			err = fmt.Errorf("still there")
		}
		return err
	})
	if got := rc.events(); len(got) != len(want) {
		t.Fatalf("events delivered while the webhook was down: %v", got[len(want):])
	}

	rc.down.Store(false)
	startRedis(t, redisPort, redisDir)
	want = append(want, "ObjectCreated:Put n/d", "ObjectCreated:Put n/e", "ObjectCreated:Put n/life",
		"LifecycleExpiration:DeleteMarkerCreated n/life")
	waitEvents("webhook events after the outage and the restart", want)
	// The restarted redis-server kept nothing (--save ""): it holds
	// exactly what was queued during its outage.
	waitRedis("redis events after the outage and the restart", []string{"ObjectCreated:Put r/2", "ObjectRemoved:DeleteMarkerCreated r/1"})
	if n := rc.badAut.Load(); n != 0 {
		t.Fatalf("%d webhook requests without the configured Authorization", n)
	}
	if v := testutil.Metric(t, srv.AdminURL, "anode_notify_queue_length"); v != 0 {
		t.Fatalf("queue length %v after delivery", v)
	}
}

// postForm uploads an object with a browser-style POST form (PostObject),
// signed by aws-sdk-go-v2's presigned POST.
func postForm(t *testing.T, c *s3.Client, bucket, key, body string) {
	t.Helper()
	pr, err := s3.NewPresignClient(c).PresignPostObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	must(t, "presign post", err)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range pr.Values {
		w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile("file", "upload.txt")
	must(t, "form file", err)
	io.WriteString(fw, body)
	w.Close()
	resp, err := http.Post(pr.URL, w.FormDataContentType(), &buf)
	must(t, "post form", err)
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST upload: %s: %s", resp.Status, msg)
	}
}
