package testutil

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Metric reads a metric from an admin endpoint's /metrics: the value of an
// unlabelled metric, or the sum over the labels of a labelled one. A metric
// that is not there fails the test.
func Metric(t testing.TB, adminURL, name string) float64 {
	t.Helper()
	resp, err := http.Get(adminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	total, found := 0.0, false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && (f[0] == name || strings.HasPrefix(f[0], name+"{")) {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			total += v
			found = true
		}
	}
	if !found {
		t.Fatalf("metric %s not found at %s", name, adminURL)
	}
	return total
}
