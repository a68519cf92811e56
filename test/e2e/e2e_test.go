// Package e2e runs the clients people install, the aws CLI and boto3,
// against a freshly built anode binary running as a real process.
//
// The checks live in scripts (quickstart.sh, boto3_test.py) that can also
// be run by hand against any server: see README.md. This test builds the
// binary, starts it on loopback ports with a temporary data directory and
// an isolated environment, and runs each script against it.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Credentials of the server under test: the defaults of the README quick start.
const (
	rootUser     = "minioadmin"
	rootPassword = "minioadmin"
)

// Time limits. They are generous against a loaded machine; the whole
// suite normally takes well under a minute.
const (
	buildTimeout  = 5 * time.Minute
	startTimeout  = 30 * time.Second
	scriptTimeout = 2 * time.Minute
)

func TestE2E(t *testing.T) {
	bash, python := requireClients(t)
	bin := buildAnode(t)
	srv := startAnode(t, bin)
	env := clientEnv(t, srv.endpoint)

	t.Run("quickstart.sh", func(t *testing.T) {
		// The script sets the credentials with aws configure, as the README does.
		runScript(t, env, bash, "quickstart.sh")
	})
	t.Run("boto3_test.py", func(t *testing.T) {
		creds := []string{"AWS_ACCESS_KEY_ID=" + rootUser, "AWS_SECRET_ACCESS_KEY=" + rootPassword}
		runScript(t, slices.Concat(env, creds), python, "boto3_test.py")
	})
	t.Run("admin", func(t *testing.T) {
		checkAdmin(t, srv.admin)
	})
}

// checkAdmin checks the admin API after the scripts ran: health, and the
// metrics counting the bytes the clients uploaded.
func checkAdmin(t *testing.T, admin string) {
	status, body := httpGet(t, admin+"/health")
	if status != http.StatusOK || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Errorf("GET /health: %d %q, want 200 {\"status\":\"ok\"}", status, body)
	}
	status, body = httpGet(t, admin+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d, want 200", status)
	}
	// Each script uploads a 5 MiB object, and more.
	const min = 2 * 5 << 20
	v, ok := metricValue(body, "anode_s3_bytes_in_total")
	if !ok || v < min {
		t.Errorf("anode_s3_bytes_in_total = %v (found: %v), want at least %d", v, ok, min)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// metricValue returns the value of an unlabelled metric in the Prometheus
// text format.
func metricValue(text, name string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// requireClients checks that bash, the aws CLI and boto3 are installed and
// returns the paths of bash and python3. Their absence fails the test: CI
// installs them, and a skipped end-to-end suite would pass without
// checking anything.
func requireClients(t *testing.T) (bash, python string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is not installed (%v): the end-to-end tests need it", err)
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the aws CLI is not installed (%v): install it (pip install awscli) to run the end-to-end tests", err)
	}
	python, err = exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is not installed (%v): the end-to-end tests need python3 with boto3", err)
	}
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("python3 cannot import boto3 (%v): install it (pip install boto3) to run the end-to-end tests\n%s", err, out)
	}
	return bash, python
}

// buildAnode builds ./cmd/anode of this module into a temporary directory.
func buildAnode(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomodPath := strings.TrimSpace(string(gomod))
	if gomodPath == "" || gomodPath == os.DevNull {
		t.Fatalf("go env GOMOD = %q: run the test in module mode", gomodPath)
	}
	root := filepath.Dir(gomodPath)
	bin := filepath.Join(t.TempDir(), "anode")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/anode")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/anode in %s: %v\n%s", root, err, out)
	}
	return bin
}

// anode is a running server process.
type anode struct {
	endpoint string // http://127.0.0.1:port of the S3 API
	admin    string // http://127.0.0.1:port of the admin API
}

// startAnode starts bin as a one-node server on free loopback ports with a
// temporary data directory, waits until it is ready, and stops it when the
// test ends, whatever its outcome. The server's log is shown if the test
// fails.
func startAnode(t *testing.T, bin string) anode {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, "server",
		"--s3-addr", "127.0.0.1:0",
		"--admin-addr", "127.0.0.1:0",
		"--grpc-addr", "127.0.0.1:0",
		"--data-dir", filepath.Join(dir, "data"),
	)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(dir), "ANODE_ROOT_USER="+rootUser, "ANODE_ROOT_PASSWORD="+rootPassword)
	log := &serverLog{serving: make(chan map[string]string, 1)}
	cmd.Stdout = log
	cmd.Stderr = log
	// Without it, Wait would wait forever for a child that kept the output open.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		if !stop(t, cmd, exited) {
			t.Errorf("anode exited before the end of the test: %v", waitErr)
		} else if waitErr != nil {
			t.Logf("anode exited after SIGTERM with %v", waitErr)
		}
		if t.Failed() {
			t.Logf("server log (last %d lines):\n%s", logTail, log.tail(logTail))
		}
	})

	var addrs map[string]string
	select {
	case addrs = <-log.serving:
	case <-exited:
		t.Fatalf("anode exited before serving: %v", waitErr)
	case <-time.After(startTimeout):
		t.Fatalf("anode did not log %q within %v", "anode serving", startTimeout)
	}
	if addrs["s3"] == "" || addrs["admin"] == "" {
		t.Fatalf("no s3= or admin= address in the serving line: %v", addrs)
	}
	srv := anode{endpoint: "http://" + addrs["s3"], admin: "http://" + addrs["admin"]}
	waitReady(t, srv.admin+"/ready", exited)
	t.Logf("anode serving S3 on %s, admin on %s", srv.endpoint, srv.admin)
	return srv
}

// stop asks the server to shut down with SIGTERM and kills it if it has
// not exited in time. It reports whether it sent the signal: false means
// the server had already exited.
func stop(t *testing.T, cmd *exec.Cmd, exited <-chan struct{}) bool {
	select {
	case <-exited:
		return false
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Logf("SIGTERM anode: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Errorf("anode did not exit within 10s of SIGTERM: killing it")
		cmd.Process.Kill()
		<-exited
	}
	return true
}

// waitReady polls url until it answers 200 OK, the server exits or the
// start timeout passes.
func waitReady(t *testing.T, url string, exited <-chan struct{}) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = fmt.Sprintf("%s: %s", resp.Status, body)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %v: last answer %s", url, startTimeout, last)
		}
		select {
		case <-exited:
			t.Fatalf("anode exited while waiting for %s", url)
		case <-tick.C:
		}
	}
}

// serverLog keeps the server's output and reports the addresses of its
// "anode serving" line, such as
//
//	time=... level=INFO msg="anode serving" s3=127.0.0.1:41234 admin=127.0.0.1:40111 ...
type serverLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	serving chan map[string]string // receives the serving line's fields once
	found   bool
}

func (l *serverLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		if !l.found && strings.Contains(line, `msg="anode serving"`) {
			l.found = true
			l.serving <- logFields(line)
		}
	}
	return len(p), nil
}

func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// logTail is how many lines of the server's log a failed test shows: it
// logs every request, and the last ones are those that explain a failure.
const logTail = 200

// tail returns the last n lines of the log.
func (l *serverLog) tail(n int) string {
	lines := strings.SplitAfter(l.String(), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// logFields returns the unquoted key=value fields of a slog text line.
func logFields(line string) map[string]string {
	fields := make(map[string]string)
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok && !strings.HasPrefix(v, `"`) {
			fields[k] = v
		}
	}
	return fields
}

// baseEnv returns this process's environment without what could change how
// the server or the clients behave: ANODE_* variables (the server refuses
// unknown ones, and known ones would change its configuration) and AWS_*
// variables (credentials, profiles, endpoints of the developer). HOME is a
// temporary directory, so that nothing reads or writes the user's ~/.aws.
func baseEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ANODE_") || strings.HasPrefix(k, "AWS_") || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home)
}

// clientEnv returns the environment of the client scripts: an empty home,
// AWS config files of their own, and the server's endpoint.
func clientEnv(t *testing.T, endpoint string) []string {
	home := t.TempDir()
	return append(baseEnv(home),
		"AWS_CONFIG_FILE="+filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "aws-credentials"),
		// No instance metadata lookups: there is no EC2 here.
		"AWS_EC2_METADATA_DISABLED=true",
		"ENDPOINT="+endpoint,
	)
}

// runScript runs a client script from this directory, streaming its output
// into the test log line by line, and fails the test if it fails.
func runScript(t *testing.T, env []string, interpreter, script string) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	path, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, interpreter, path)
	cmd.Dir = t.TempDir()
	cmd.Env = env
	out := &lineLogger{t: t}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	out.flush()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s did not finish within %v", script, scriptTimeout)
	}
	if err != nil {
		t.Fatalf("%s failed: %v", script, err)
	}
	t.Logf("%s passed in %v", script, time.Since(start).Round(time.Millisecond))
}

// lineLogger writes each complete line it receives to the test log, so
// that a script's output shows up as it runs with go test -v.
type lineLogger struct {
	t       *testing.T
	mu      sync.Mutex
	partial []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.t.Log(lastSegment(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

// flush logs what is left after the last newline.
func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.t.Log(lastSegment(l.partial))
		l.partial = nil
	}
}

// lastSegment returns what a terminal would show of line: the aws CLI
// redraws its progress meter with carriage returns.
func lastSegment(line []byte) string {
	line = bytes.TrimRight(line, "\r ")
	if i := bytes.LastIndexByte(line, '\r'); i >= 0 {
		line = line[i+1:]
	}
	return string(line)
}
