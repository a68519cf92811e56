// Package clients runs the S3 tools people point at a store besides the aws
// CLI and boto3 (test/e2e): rclone, restic, s3cmd and s3fs, each through a
// workflow its users run, against a real anode process. Every check compares
// bytes that went in with bytes that came out, through the tool and through
// the S3 API.
//
// The tools come from Debian's packages; .ci/run installs them. A missing
// tool fails the test: a skipped client check would pass without checking.
package clients

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/testutil"
)

type server struct {
	endpoint string // http://127.0.0.1:port
	hostPort string
	s3       *s3.Client
}

func start(t *testing.T) server {
	t.Helper()
	p := testutil.StartProcess(t, testutil.BuildAnode(t), filepath.Join(t.TempDir(), "data"))
	return server{endpoint: p.Endpoint, hostPort: strings.TrimPrefix(p.Endpoint, "http://"), s3: testutil.S3Client(p.Endpoint)}
}

func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is not installed (%v): .ci/run installs it (apt-get install %s)", tool, err, tool)
	}
	return path
}

// run runs a tool with a deadline and fails the test with its output if it
// fails.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// tree writes a small directory tree of files of several sizes (empty,
// inline, one chunk, several chunks) and returns their contents by path.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	r := rand.New(rand.NewPCG(11, 12))
	files := map[string][]byte{}
	for i, size := range []int{0, 1, 1000, 70 << 10, 1 << 20, 9<<20 + 3} {
		name := fmt.Sprintf("d%d/file-%d.bin", i%2, i)
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		files[name] = b
	}
	files["with space/ünïcode name.txt"] = []byte("names users have\n")
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func (s server) mkBucket(t *testing.T, name string) {
	t.Helper()
	if _, err := s.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

func (s server) get(t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := s.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s server) keys(t *testing.T, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, *o.Key)
		}
	}
	return keys
}

func sortedNames(files map[string][]byte) []string {
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// compareDir checks that dir holds exactly files.
func compareDir(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	got := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		got[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sortedNames(got)) != fmt.Sprint(sortedNames(files)) {
		t.Fatalf("%s holds %v, want %v", dir, sortedNames(got), sortedNames(files))
	}
	for n, b := range files {
		if !bytes.Equal(got[n], b) {
			t.Fatalf("%s/%s: %d bytes, not the %d written (sha256 %x vs %x)", dir, n, len(got[n]), len(b), sha256.Sum256(got[n]), sha256.Sum256(b))
		}
	}
}

// TestRclone: copy a tree up, check it, sync a change (an update and a
// deletion), and copy it back down.
func TestRclone(t *testing.T) {
	rclone := need(t, "rclone")
	s := start(t)
	env := []string{
		"RCLONE_CONFIG_ANODE_TYPE=s3", "RCLONE_CONFIG_ANODE_PROVIDER=Other",
		"RCLONE_CONFIG_ANODE_ACCESS_KEY_ID=" + testutil.AccessKey,
		"RCLONE_CONFIG_ANODE_SECRET_ACCESS_KEY=" + testutil.SecretKey,
		"RCLONE_CONFIG_ANODE_ENDPOINT=" + s.endpoint,
		"RCLONE_CONFIG_ANODE_FORCE_PATH_STYLE=true",
		"RCLONE_CONFIG_FILE=/dev/null",
	}
	src := t.TempDir()
	files := tree(t, src)
	run(t, env, rclone, "mkdir", "anode:rclone-bucket")
	run(t, env, rclone, "copy", src, "anode:rclone-bucket/backup")
	run(t, env, rclone, "check", src, "anode:rclone-bucket/backup")
	for _, n := range sortedNames(files) {
		if got := s.get(t, "rclone-bucket", "backup/"+n); !bytes.Equal(got, files[n]) {
			t.Fatalf("S3 GET of backup/%s differs from the file rclone copied", n)
		}
	}
	// An update and a deletion, then sync: the bucket follows.
	files["d0/file-0.bin"] = []byte("changed")
	if err := os.WriteFile(filepath.Join(src, "d0/file-0.bin"), files["d0/file-0.bin"], 0o644); err != nil {
		t.Fatal(err)
	}
	delete(files, "d1/file-1.bin")
	if err := os.Remove(filepath.Join(src, "d1/file-1.bin")); err != nil {
		t.Fatal(err)
	}
	run(t, env, rclone, "sync", src, "anode:rclone-bucket/backup")
	run(t, env, rclone, "check", src, "anode:rclone-bucket/backup")
	if keys := s.keys(t, "rclone-bucket", "backup/"); len(keys) != len(files) {
		t.Fatalf("after sync the bucket has %d keys, want %d: %v", len(keys), len(files), keys)
	}
	dst := t.TempDir()
	run(t, env, rclone, "copy", "anode:rclone-bucket/backup", dst)
	compareDir(t, dst, files)
}

// TestRestic: init a repository in a bucket, back up a tree twice (the
// second run deduplicates), check every pack's data, restore and compare.
func TestRestic(t *testing.T) {
	restic := need(t, "restic")
	s := start(t)
	s.mkBucket(t, "restic-repo")
	env := []string{
		"RESTIC_REPOSITORY=s3:" + s.endpoint + "/restic-repo",
		"RESTIC_PASSWORD=correct horse battery staple",
		"AWS_ACCESS_KEY_ID=" + testutil.AccessKey, "AWS_SECRET_ACCESS_KEY=" + testutil.SecretKey,
		"RESTIC_CACHE_DIR=" + t.TempDir(),
	}
	src := t.TempDir()
	files := tree(t, src)
	run(t, env, restic, "init")
	run(t, env, restic, "backup", "--host", "test", src)
	run(t, env, restic, "backup", "--host", "test", src)
	out := run(t, env, restic, "snapshots", "--json")
	if strings.Count(out, `"id"`) != 2 {
		t.Fatalf("restic snapshots lists %d snapshots, want 2:\n%s", strings.Count(out, `"id"`), out)
	}
	run(t, env, restic, "check", "--read-data")
	dst := t.TempDir()
	run(t, env, restic, "restore", "latest", "--target", dst)
	compareDir(t, filepath.Join(dst, src), files)
}

// TestS3cmd: make a bucket, put, list, get, sync a directory, delete.
func TestS3cmd(t *testing.T) {
	s3cmd := need(t, "s3cmd")
	s := start(t)
	conf := filepath.Join(t.TempDir(), "s3cfg")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\n",
		testutil.AccessKey, testutil.SecretKey, s.hostPort, s.hostPort)), 0o600); err != nil {
		t.Fatal(err)
	}
	c := func(args ...string) string { return run(t, nil, s3cmd, append([]string{"-c", conf}, args...)...) }
	src := t.TempDir()
	files := tree(t, src)
	c("mb", "s3://s3cmd-bucket")
	c("put", filepath.Join(src, "d0/file-4.bin"), "s3://s3cmd-bucket/one.bin")
	if got := s.get(t, "s3cmd-bucket", "one.bin"); !bytes.Equal(got, files["d0/file-4.bin"]) {
		t.Fatal("S3 GET differs from what s3cmd put")
	}
	if out := c("ls", "s3://s3cmd-bucket/"); !strings.Contains(out, "s3://s3cmd-bucket/one.bin") {
		t.Fatalf("s3cmd ls does not list one.bin:\n%s", out)
	}
	got := filepath.Join(t.TempDir(), "one.bin")
	c("get", "s3://s3cmd-bucket/one.bin", got)
	if b, _ := os.ReadFile(got); !bytes.Equal(b, files["d0/file-4.bin"]) {
		t.Fatal("s3cmd get returned other bytes")
	}
	c("sync", src+"/", "s3://s3cmd-bucket/tree/")
	dst := t.TempDir()
	c("sync", "s3://s3cmd-bucket/tree/", dst+"/")
	compareDir(t, dst, files)
	c("del", "s3://s3cmd-bucket/one.bin")
	if keys := s.keys(t, "s3cmd-bucket", "one.bin"); len(keys) != 0 {
		t.Fatalf("one.bin still listed after s3cmd del: %v", keys)
	}
}

// TestS3fs mounts a bucket with s3fs (FUSE), writes and reads files through
// the mount, and checks them through the S3 API.
func TestS3fs(t *testing.T) {
	s3fs := need(t, "s3fs")
	need(t, "fusermount")
	s := start(t)
	s.mkBucket(t, "s3fs-bucket")
	pw := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(pw, []byte(testutil.AccessKey+":"+testutil.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mnt := t.TempDir()
	run(t, nil, s3fs, "s3fs-bucket", mnt, "-o", "url="+s.endpoint, "-o", "use_path_request_style",
		"-o", "passwd_file="+pw, "-o", "nonempty")
	t.Cleanup(func() { exec.Command("fusermount", "-u", mnt).Run() })
	data := bytes.Repeat([]byte("written through a FUSE mount\n"), 40000) // about 1.1 MiB
	if err := os.WriteFile(filepath.Join(mnt, "via-mount.txt"), data, 0o644); err != nil {
		t.Fatalf("write through s3fs: %v", err)
	}
	if got := s.get(t, "s3fs-bucket", "via-mount.txt"); !bytes.Equal(got, data) {
		t.Fatalf("S3 GET of a file written through s3fs: %d bytes, want %d", len(got), len(data))
	}
	if _, err := s.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("s3fs-bucket"),
		Key: aws.String("via-api.txt"), Body: strings.NewReader("written through the S3 API\n")}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(mnt, "via-api.txt"))
	if err != nil || string(b) != "written through the S3 API\n" {
		t.Fatalf("read through s3fs: %q %v", b, err)
	}
	entries, err := os.ReadDir(mnt)
	if err != nil || len(entries) != 2 {
		t.Fatalf("the mount lists %d entries (%v), want 2", len(entries), err)
	}
	if err := os.Remove(filepath.Join(mnt, "via-mount.txt")); err != nil {
		t.Fatal(err)
	}
	if keys := s.keys(t, "s3fs-bucket", ""); len(keys) != 1 || keys[0] != "via-api.txt" {
		t.Fatalf("after rm through the mount the bucket holds %v", keys)
	}
}
