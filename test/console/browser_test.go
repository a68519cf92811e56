package console_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/anode/anode/internal/testutil"
)

// browser starts headless Chromium (the Debian package "chromium"; the
// test fails, not skips, without it).
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the console browser tests need headless Chromium (apt-get install chromium): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.WindowSize(1000, 640),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	// Start the browser on this context: the per-step contexts of run
	// derive from it, and cancelling the first one would close the tab.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot writes the page to docs/console/NAME.png when
// ANODE_CONSOLE_SCREENSHOTS is set (how docs/console.md's pictures are
// made: ANODE_CONSOLE_SCREENSHOTS=1 go test -run TestConsoleBrowser ./test/console).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("ANODE_CONSOLE_SCREENSHOTS") == "" {
		return
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", "console", name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Run(step, actions...); err != nil {
		var errText string
		quick, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		chromedp.Run(quick, chromedp.Evaluate(`document.getElementById("error").textContent`, &errText))
		t.Fatalf("%s: %v (page error: %q)", what, err, errText)
	}
}

func loginPage(t *testing.T, ctx context.Context, adminURL, accessKey, secret string) {
	t.Helper()
	run(t, ctx, "login",
		chromedp.Navigate(adminURL+"/console/"),
		chromedp.WaitVisible("#login-access", chromedp.ByID),
		chromedp.SendKeys("#login-access", accessKey, chromedp.ByID),
		chromedp.SendKeys("#login-secret", secret, chromedp.ByID),
	)
	screenshot(t, ctx, "login")
	run(t, ctx, "submit login",
		chromedp.Click("#login-submit", chromedp.ByID),
		chromedp.WaitVisible("#buckets-view", chromedp.ByID),
	)
}

// fetchWithSession GETs a console URL with the browser's session cookie.
func fetchWithSession(t *testing.T, ctx context.Context, url string) []byte {
	t.Helper()
	var cookies []*network.Cookie
	run(t, ctx, "cookies", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().WithURLs([]string{url}).Do(ctx)
		return err
	}))
	req, _ := http.NewRequest("GET", url, nil)
	for _, c := range cookies {
		if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict {
			t.Fatalf("session cookie %s: HttpOnly %v SameSite %v", c.Name, c.HTTPOnly, c.SameSite)
		}
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return httpGet(t, req)
}

func httpGet(t *testing.T, req *http.Request) []byte {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", req.URL, resp.StatusCode, body)
	}
	return body
}

// TestConsoleBrowser uses the console as a person would, in headless
// Chromium: log in as root, create a bucket, upload a 3 MiB file with the
// progress bar reaching 100%, see it listed, download it through the
// page's link and fetch its share link (both byte-compared); then log in
// as root make a read-only user and its key on the users page, see the
// cluster page, log in as that user and see an upload refused.
func TestConsoleBrowser(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{})
	ctx := browser(t)

	loginPage(t, ctx, srv.AdminURL, testutil.AccessKey, testutil.SecretKey)
	run(t, ctx, "create bucket",
		chromedp.SendKeys("#new-bucket", "photos", chromedp.ByID),
		chromedp.Click("#create-bucket", chromedp.ByID),
		chromedp.WaitVisible(`a.bucket-link[href="#/b/photos/"]`, chromedp.ByQuery),
	)
	screenshot(t, ctx, "buckets")

	data := make([]byte, 3<<20)
	rand.Read(data)
	file := filepath.Join(t.TempDir(), "holiday.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var progress, events, status string
	run(t, ctx, "upload",
		chromedp.Click(`a.bucket-link[href="#/b/photos/"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#bucket-view", chromedp.ByID),
		chromedp.SetUploadFiles("#upload-file", []string{file}, chromedp.ByID),
		chromedp.Click("#upload-submit", chromedp.ByID),
		chromedp.WaitVisible(`tr.object[data-key="holiday.bin"]`, chromedp.ByQuery),
		chromedp.Text("#upload-status", &status, chromedp.ByID),
		chromedp.Evaluate(`String(document.getElementById("upload-progress").value)`, &progress),
		chromedp.Evaluate(`document.getElementById("upload-progress").dataset.events`, &events),
	)
	// The bar is moved only by upload progress events (app.js), so 100
	// means the browser reported every byte sent.
	if progress != "100" || events == "0" || !strings.Contains(status, "uploaded") {
		t.Fatalf("progress %s after %s events, status %q", progress, events, status)
	}
	var href string
	var ok bool
	run(t, ctx, "download link",
		chromedp.AttributeValue(`tr.object[data-key="holiday.bin"] a.download`, "href", &href, &ok, chromedp.ByQuery))
	got := fetchWithSession(t, ctx, srv.AdminURL+"/console/"+href)
	if !bytes.Equal(got, data) {
		t.Fatalf("downloaded %d bytes, differ from the %d uploaded", len(got), len(data))
	}

	var shareURL string
	run(t, ctx, "share",
		chromedp.Click(`tr.object[data-key="holiday.bin"] button.share`, chromedp.ByQuery),
		chromedp.WaitVisible("#share-box", chromedp.ByID),
		chromedp.Value("#share-url", &shareURL, chromedp.ByID),
	)
	screenshot(t, ctx, "bucket")
	if !strings.HasPrefix(shareURL, srv.Endpoint+"/photos/holiday.bin?") || !strings.Contains(shareURL, "X-Amz-Signature=") {
		t.Fatalf("share URL %q", shareURL)
	}
	req, _ := http.NewRequest("GET", shareURL, nil)
	if got := httpGet(t, req); !bytes.Equal(got, data) {
		t.Fatal("share link bytes differ")
	}

	// Root makes a read-only user and its key on the users page.
	var keyID, secret string
	run(t, ctx, "users page",
		chromedp.Navigate(srv.AdminURL+"/console/#/users"),
		chromedp.WaitVisible("#users-view", chromedp.ByID),
		chromedp.SendKeys("#new-user", "viewer", chromedp.ByID),
		chromedp.SetValue("#new-user-policy", "readonly", chromedp.ByID),
		chromedp.Click("#create-user", chromedp.ByID),
		chromedp.WaitVisible(`tr.user[data-name="viewer"] button.new-key`, chromedp.ByQuery),
		chromedp.Click(`tr.user[data-name="viewer"] button.new-key`, chromedp.ByQuery),
		chromedp.WaitVisible("#new-key", chromedp.ByID),
		chromedp.Text("#new-key-id", &keyID, chromedp.ByID),
		chromedp.Text("#new-key-secret", &secret, chromedp.ByID),
	)
	if len(keyID) != 20 || len(secret) != 40 {
		t.Fatalf("new key %q / %q", keyID, secret)
	}
	screenshot(t, ctx, "users")
	var groups int
	run(t, ctx, "cluster page",
		chromedp.Navigate(srv.AdminURL+"/console/#/cluster"),
		chromedp.WaitVisible("tr.group", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("tr.group").length`, &groups),
	)
	if groups < 2 { // the system group and the placement groups
		t.Fatalf("%d groups on the cluster page", groups)
	}
	screenshot(t, ctx, "cluster")

	// The read-only user sees the bucket but its upload is refused.
	k := struct{ AccessKey, SecretKey string }{keyID, secret}
	run(t, ctx, "logout",
		chromedp.Click("#logout", chromedp.ByID),
		chromedp.WaitVisible("#login-view", chromedp.ByID),
	)
	run(t, ctx, "reader login",
		chromedp.SendKeys("#login-access", k.AccessKey, chromedp.ByID),
		chromedp.SendKeys("#login-secret", k.SecretKey, chromedp.ByID),
		chromedp.Click("#login-submit", chromedp.ByID),
		chromedp.WaitVisible("#nav", chromedp.ByID), // logged in (the page stays on the bucket it showed)
	)
	var errText string
	denied := filepath.Join(t.TempDir(), "denied.txt")
	os.WriteFile(denied, []byte("not allowed"), 0o644)
	run(t, ctx, "reader upload",
		chromedp.Navigate(srv.AdminURL+"/console/#/b/photos/"),
		chromedp.WaitVisible(`tr.object[data-key="holiday.bin"]`, chromedp.ByQuery),
		chromedp.SetUploadFiles("#upload-file", []string{denied}, chromedp.ByID),
		chromedp.Click("#upload-submit", chromedp.ByID),
		chromedp.WaitVisible("#error", chromedp.ByID),
		chromedp.Text("#error", &errText, chromedp.ByID),
	)
	if !strings.Contains(errText, "AccessDenied") {
		t.Fatalf("reader upload error %q, want AccessDenied", errText)
	}
	_, err := testutil.S3Client(srv.Endpoint).HeadObject(bg(), &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("denied.txt")})
	if err == nil {
		t.Fatal("the refused upload stored the object")
	}
}
