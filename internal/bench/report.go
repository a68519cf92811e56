package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"
	"time"
)

// Report is everything one S3 benchmark run found, as written by --json.
type Report struct {
	Timestamp  time.Time  `json:"timestamp"`
	Hostname   string     `json:"hostname"`
	GOOS       string     `json:"goos"`
	GOARCH     string     `json:"goarch"`
	NumCPU     int        `json:"nproc"`
	GoVersion  string     `json:"go_version"`
	Params     S3Config   `json:"params"`
	ElapsedSec float64    `json:"elapsed_sec"`
	Results    []OpResult `json:"results"`
	Limits     *Limits    `json:"limits,omitempty"`
	Bounds     []Bound    `json:"bounds,omitempty"`
}

// OpResult is the outcome of one kind of operation in the timed phase.
type OpResult struct {
	Op           string   `json:"op"`
	Count        int64    `json:"count"` // successful operations
	Errors       int64    `json:"errors"`
	ErrorSamples []string `json:"error_samples,omitempty"`
	Bytes        int64    `json:"bytes"` // payload bytes of successful operations
	OpsPerSec    float64  `json:"ops_per_sec"`
	MiBPerSec    float64  `json:"mib_per_sec"`
	Latency      Latency  `json:"latency_ms"`
}

// Latency summarises the latency of successful operations, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Bound is one measured rate set against the machine limit that caps it.
type Bound struct {
	Op       string  `json:"op"`
	Metric   string  `json:"metric"` // "mib_per_sec" or "ops_per_sec"
	Measured float64 `json:"measured"`
	Limit    float64 `json:"limit"`
	Formula  string  `json:"formula"`
	Ratio    float64 `json:"ratio"` // Measured / Limit
}

// newReport builds the report of a finished run.
func newReport(cfg *S3Config, stats *[numOps]opStats, elapsed time.Duration, lim *Limits) *Report {
	host, _ := os.Hostname()
	rep := &Report{
		Timestamp:  time.Now().UTC().Round(time.Millisecond),
		Hostname:   host,
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		NumCPU:     runtime.NumCPU(),
		GoVersion:  runtime.Version(),
		Params:     *cfg,
		ElapsedSec: elapsed.Seconds(),
		Limits:     lim,
	}
	for k := range numOps {
		s := &stats[k]
		if s.count == 0 && s.errors == 0 {
			continue
		}
		res := OpResult{
			Op:           k.String(),
			Count:        s.count,
			Errors:       s.errors,
			ErrorSamples: s.samples,
			Bytes:        s.bytes,
		}
		if sec := elapsed.Seconds(); sec > 0 {
			res.OpsPerSec = float64(s.count) / sec
			res.MiBPerSec = float64(s.bytes) / (1 << 20) / sec
		}
		if h := s.hist; h != nil {
			res.Latency = Latency{
				P50:  ms(h.Percentile(50)),
				P95:  ms(h.Percentile(95)),
				P99:  ms(h.Percentile(99)),
				Max:  ms(h.Max()),
				Mean: ms(h.Mean()),
			}
		}
		rep.Results = append(rep.Results, res)
	}
	rep.Bounds = computeBounds(rep.Results, lim, cfg.Concurrency)
	return rep
}

// computeBounds sets each result against the limit that caps it:
//
//	PUT MiB/s    <= min(disk write, SHA-256, MD5, loopback): every byte
//	                crosses the loopback, is hashed with SHA-256 (chunk id)
//	                and MD5 (ETag), and is written and fsynced to disk.
//	PUT ops/s    <= concurrency / fsync p50: each PUT waits for at least
//	                one fsync, and a server that commits concurrent writes
//	                together (group commit) shares one fsync among at most
//	                `concurrency` of them.
//	DELETE ops/s <= concurrency / fsync p50, for the same reason.
//	GET MiB/s    <= min(loopback, SHA-256): every byte crosses the loopback
//	                and is verified against its SHA-256 chunk id.
//
// Each limit is the loosest one (the resources are taken to work in perfect
// parallel), so a ratio of 1 is out of reach; the ratios are for comparing
// machines and versions, not for reading as efficiency.
func computeBounds(results []OpResult, lim *Limits, concurrency int) []Bound {
	if lim == nil {
		return nil
	}
	var bounds []Bound
	add := func(op, metric string, measured, limit float64, formula string) {
		if limit <= 0 {
			return
		}
		bounds = append(bounds, Bound{Op: op, Metric: metric, Measured: measured,
			Limit: limit, Formula: formula, Ratio: measured / limit})
	}
	fsyncOps := 0.0
	if lim.FsyncP50Ms > 0 {
		fsyncOps = float64(concurrency) * 1000 / lim.FsyncP50Ms
	}
	for _, r := range results {
		switch r.Op {
		case "PUT":
			add(r.Op, "mib_per_sec", r.MiBPerSec,
				min(lim.DiskWriteMiBps, lim.SHA256MiBps, lim.MD5MiBps, lim.LoopbackMiBps),
				"min(disk_write, sha256, md5, loopback)")
			add(r.Op, "ops_per_sec", r.OpsPerSec, fsyncOps, "concurrency / fsync_p50")
		case "DELETE":
			add(r.Op, "ops_per_sec", r.OpsPerSec, fsyncOps, "concurrency / fsync_p50")
		case "GET":
			add(r.Op, "mib_per_sec", r.MiBPerSec, min(lim.LoopbackMiBps, lim.SHA256MiBps),
				"min(loopback, sha256)")
		}
	}
	return bounds
}

// TotalErrors returns the number of failed operations over all ops.
func (rep *Report) TotalErrors() int64 {
	var n int64
	for _, r := range rep.Results {
		n += r.Errors
	}
	return n
}

// WriteTable prints the report for people.
func (rep *Report) WriteTable(w io.Writer) error {
	p := rep.Params
	limit := p.Duration.String()
	if p.Count > 0 {
		limit = fmt.Sprintf("%d ops", p.Count)
		if p.Duration > 0 {
			limit += " or " + p.Duration.String()
		}
	}
	fmt.Fprintf(w, "\nanode bench s3: %s %s x%d for %s against %s (bucket %s), %.2fs\n",
		p.Op, FormatSize(p.Size), p.Concurrency, limit, p.Endpoint, p.Bucket, rep.ElapsedSec)
	fmt.Fprintf(w, "host %s %s/%s, %d CPUs\n\n", rep.Hostname, rep.GOOS, rep.GOARCH, rep.NumCPU)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tcount\terrors\tops/s\tMiB/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.2f\t%.3f\t%.3f\t%.3f\t%.3f\t\n",
			r.Op, r.Count, r.Errors, r.OpsPerSec, r.MiBPerSec,
			r.Latency.P50, r.Latency.P95, r.Latency.P99, r.Latency.Max)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rep.Results {
		for _, m := range r.ErrorSamples {
			fmt.Fprintf(w, "  %s error: %s\n", r.Op, m)
		}
	}

	if l := rep.Limits; l != nil {
		fmt.Fprintf(w, "\nmachine limits (disk of %s):\n", l.DataDir)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  disk write, fsync every 4MiB\t%.1f MiB/s\n", l.DiskWriteMiBps)
		fmt.Fprintf(tw, "  4KiB write + fsync\tp50 %.3f ms, p99 %.3f ms (%d samples)\n", l.FsyncP50Ms, l.FsyncP99Ms, l.FsyncCount)
		fmt.Fprintf(tw, "  SHA-256, one core\t%.1f MiB/s\n", l.SHA256MiBps)
		fmt.Fprintf(tw, "  MD5, one core\t%.1f MiB/s\n", l.MD5MiBps)
		fmt.Fprintf(tw, "  TCP loopback\t%.1f MiB/s\n", l.LoopbackMiBps)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.Bounds) > 0 {
		fmt.Fprintf(w, "\nresults as a fraction of the limit that bounds them:\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, b := range rep.Bounds {
			fmt.Fprintf(tw, "  %s %s\t%.1f of %.1f\t= %.1f%%\t%s\n", b.Op, metricUnit(b.Metric), b.Measured, b.Limit, 100*b.Ratio, b.Formula)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

func metricUnit(metric string) string {
	if metric == "mib_per_sec" {
		return "MiB/s"
	}
	return "ops/s"
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeJSONFile writes the report to path, or to stdout when path is "-".
func (rep *Report) writeJSONFile(path string, stdout io.Writer) error {
	if path == "-" {
		return rep.WriteJSON(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := rep.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}
