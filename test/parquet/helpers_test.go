package parquet

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// metrics is a scrape of the admin /metrics endpoint: each metric's value,
// summed over its labels.
type metrics map[string]float64

func (s server) metrics(t *testing.T) metrics {
	t.Helper()
	m := metrics{}
	for _, line := range strings.Split(httpGet(t, s.AdminURL+"/metrics"), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			// Labels may hold spaces: the value follows the closing brace.
			j := strings.LastIndexByte(line, '}')
			name, rest = line[:i], strings.TrimSpace(line[j+1:])
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err != nil {
			continue
		}
		m[name] += v
	}
	return m
}

// delta returns how much a metric grew since before.
func (m metrics) delta(before metrics, name string) float64 { return m[name] - before[name] }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// requireBoto3 returns the path of a python3 that can import boto3. Their
// absence fails the test: CI installs them (.ci/run), and a skipped check
// would pass without checking anything.
func requireBoto3(t *testing.T) string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is not installed (%v): these tests need python3 with boto3", err)
	}
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("python3 cannot import boto3 (%v): install it (pip install boto3 or apt-get install python3-boto3)\n%s", err, out)
	}
	return python
}
