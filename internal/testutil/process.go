package testutil

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// BuildAnode builds the anode binary once per test process and returns its
// path.
func BuildAnode(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		dir, err := os.MkdirTemp("", "anode-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "anode")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/anode")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// Process is an anode server running as a child process.
type Process struct {
	Endpoint string // http://host:port of the S3 API
	AdminURL string
	DataDir  string
	Args     []string // the extra flags it was started with
	cmd      *exec.Cmd
	exited   chan struct{}
	log      *lockedBuffer
}

var servingRE = regexp.MustCompile(`msg="anode serving" s3=(\S+) admin=(\S+) s3_scheme=(\S+) admin_scheme=(\S+)`)

// StartProcess runs `anode server` on loopback ports chosen by the kernel,
// with dataDir and the test credentials, plus any extra flags, and waits
// until it is ready. The process is killed when the test ends.
func StartProcess(t testing.TB, bin, dataDir string, extra ...string) *Process {
	t.Helper()
	p := LaunchProcess(t, bin, dataDir, extra...)
	p.WaitReady(t)
	return p
}

// LaunchProcess starts `anode server` like StartProcess and waits until it
// serves, but not until it is ready: the members of a new cluster are
// ready only once a quorum of them runs.
func LaunchProcess(t testing.TB, bin, dataDir string, extra ...string) *Process {
	t.Helper()
	args := append([]string{"server", "--data-dir", dataDir,
		"--s3-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ANODE_ROOT_USER="+AccessKey, "ANODE_ROOT_PASSWORD="+SecretKey)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("start anode: %v", err)
	}
	p := &Process{DataDir: dataDir, Args: extra, cmd: cmd, exited: make(chan struct{}), log: &lockedBuffer{}}
	addrs := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.log.WriteString(line + "\n")
			if m := servingRE.FindStringSubmatch(line); m != nil {
				addrs <- m[1:]
			}
		}
	}()
	go func() { cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("anode log (%s):\n%s", dataDir, p.log.String())
		}
	})
	select {
	case a := <-addrs:
		p.Endpoint, p.AdminURL = a[2]+"://"+a[0], a[3]+"://"+a[1]
	case <-p.exited:
		t.Fatalf("anode exited before serving:\n%s", p.log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("anode did not start serving:\n%s", p.log.String())
	}
	return p
}

// RunToExit runs `anode server` like LaunchProcess but expects it to stop
// by itself (a refused start): it returns the exit code and what the
// process wrote, and fails the test if it still runs after timeout (then
// it is killed).
func RunToExit(t testing.TB, bin, dataDir string, timeout time.Duration, extra ...string) (int, string) {
	t.Helper()
	args := append([]string{"server", "--data-dir", dataDir,
		"--s3-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0"}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "ANODE_ROOT_USER="+AccessKey, "ANODE_ROOT_PASSWORD="+SecretKey)
	out, _ := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("anode still ran after %v; it should have refused to start:\n%s", timeout, out)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// WaitReady waits until the process answers /ready.
func (p *Process) WaitReady(t testing.TB) {
	t.Helper()
	if err := WaitReady(p.AdminURL, 60*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, p.log.String())
	}
}

// WaitReady polls an admin URL's /ready until it answers 200.
func WaitReady(adminURL string, timeout time.Duration) error {
	return WaitHTTP(adminURL+"/ready", timeout)
}

// WaitHTTP polls url until it answers 200, or returns the last answer
// once timeout has passed.
func WaitHTTP(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := HTTPClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 within %v: %s", url, timeout, last)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// Pause stops the process with SIGSTOP: it keeps its sockets but answers
// nothing, like a node stuck in a long GC pause or on a dead disk.
func (p *Process) Pause() { p.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused process.
func (p *Process) Resume() { p.cmd.Process.Signal(syscall.SIGCONT) }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Kill stops the process with SIGKILL, as a crash would.
func (p *Process) Kill() {
	if p.cmd.Process != nil {
		p.cmd.Process.Kill()
	}
	<-p.exited
}

// Stop asks the process to shut down with SIGTERM and waits for it.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("anode did not stop after SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("anode exited with %d after SIGTERM:\n%s", code, p.log.String())
	}
}

// Log returns what the process wrote to stderr so far.
func (p *Process) Log() string { return p.log.String() }

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) WriteString(s string) {
	l.mu.Lock()
	l.b.WriteString(s)
	l.mu.Unlock()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
