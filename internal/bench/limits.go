package bench

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Limits are the machine's own ceilings, measured in the same run as the load
// so that a result can be read as a fraction of what the hardware allows.
type Limits struct {
	// DiskWriteMiBps is sequential write bandwidth to the data directory's
	// disk, fsyncing every DiskSyncEvery bytes as a chunk store does.
	DiskWriteMiBps float64 `json:"disk_write_mib_per_sec"`
	// FsyncP50Ms and FsyncP99Ms are the latency of one small write followed
	// by fsync, in milliseconds.
	FsyncP50Ms float64 `json:"fsync_p50_ms"`
	FsyncP99Ms float64 `json:"fsync_p99_ms"`
	FsyncCount int     `json:"fsync_count"`
	// SHA256MiBps and MD5MiBps are single-core hashing throughput.
	SHA256MiBps float64 `json:"sha256_mib_per_sec"`
	MD5MiBps    float64 `json:"md5_mib_per_sec"`
	// LoopbackMiBps is TCP bandwidth over 127.0.0.1 with one connection.
	LoopbackMiBps float64 `json:"loopback_mib_per_sec"`
	// DataDir is the directory whose disk was measured.
	DataDir string `json:"data_dir"`
}

// LimitOptions sizes the measurements. Each measurement stops at its byte or
// count budget or its time budget, whichever comes first, so a slow disk
// cannot stretch the run.
type LimitOptions struct {
	DataDir       string
	DiskBytes     int64 // total bytes written by the bandwidth test
	DiskWriteSize int   // bytes per write call
	DiskSyncEvery int64 // fsync after this many bytes
	FsyncCount    int   // small write+fsync pairs
	FsyncSize     int   // bytes per small write
	HashBytes     int64 // bytes hashed per algorithm
	LoopbackTime  time.Duration
	MaxTime       time.Duration // budget of each measurement
}

// DefaultLimitOptions returns the sizes used by `anode bench`: a few seconds
// in all on ordinary hardware.
func DefaultLimitOptions(dataDir string) LimitOptions {
	return LimitOptions{
		DataDir:       dataDir,
		DiskBytes:     256 << 20,
		DiskWriteSize: 1 << 20,
		DiskSyncEvery: 4 << 20,
		FsyncCount:    200,
		FsyncSize:     4 << 10,
		HashBytes:     512 << 20,
		LoopbackTime:  time.Second,
		MaxTime:       3 * time.Second,
	}
}

// MeasureLimits runs every measurement in turn. They run one at a time, and
// before the load, so that they do not disturb each other or the load.
func MeasureLimits(ctx context.Context, o LimitOptions) (*Limits, error) {
	l := &Limits{DataDir: o.DataDir}
	var err error
	if l.DiskWriteMiBps, err = MeasureDiskWrite(ctx, o); err != nil {
		return nil, err
	}
	var h Histogram
	if h, err = MeasureFsync(ctx, o); err != nil {
		return nil, err
	}
	l.FsyncP50Ms = ms(h.Percentile(50))
	l.FsyncP99Ms = ms(h.Percentile(99))
	l.FsyncCount = int(h.Count())
	if l.SHA256MiBps, err = MeasureHash(ctx, sha256.New(), o); err != nil {
		return nil, err
	}
	if l.MD5MiBps, err = MeasureHash(ctx, md5.New(), o); err != nil {
		return nil, err
	}
	if l.LoopbackMiBps, err = MeasureLoopback(ctx, o); err != nil {
		return nil, err
	}
	return l, nil
}

// tempFile creates a scratch file in the data directory, creating the
// directory if needed; the caller removes it.
func tempFile(dir string) (*os.File, func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create data dir: %w", err)
	}
	f, err := os.CreateTemp(dir, ".anode-bench-*")
	if err != nil {
		return nil, nil, fmt.Errorf("create scratch file in %s: %w", dir, err)
	}
	cleanup := func() {
		f.Close()
		os.Remove(f.Name())
	}
	return f, cleanup, nil
}

// MeasureDiskWrite writes up to o.DiskBytes in o.DiskWriteSize writes,
// fsyncing every o.DiskSyncEvery bytes and at the end, and returns MiB/s.
// The data is pseudo-random so that a compressing file system cannot cheat.
func MeasureDiskWrite(ctx context.Context, o LimitOptions) (float64, error) {
	f, cleanup, err := tempFile(o.DataDir)
	if err != nil {
		return 0, err
	}
	defer cleanup()
	buf := make([]byte, o.DiskWriteSize)
	fillContent(buf, 1, 0)

	start := time.Now()
	var written, sinceSync int64
	for written < o.DiskBytes && time.Since(start) < o.MaxTime && ctx.Err() == nil {
		n, err := f.Write(buf)
		if err != nil {
			return 0, fmt.Errorf("disk write test: %w", err)
		}
		written += int64(n)
		sinceSync += int64(n)
		if sinceSync >= o.DiskSyncEvery {
			if err := f.Sync(); err != nil {
				return 0, fmt.Errorf("disk write test: fsync: %w", err)
			}
			sinceSync = 0
		}
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("disk write test: fsync: %w", err)
	}
	return mibps(written, time.Since(start)), ctx.Err()
}

// MeasureFsync times o.FsyncCount appends of o.FsyncSize bytes, each followed
// by fsync: the cost of making one small write durable, which bounds a
// server that commits each small object on its own.
func MeasureFsync(ctx context.Context, o LimitOptions) (Histogram, error) {
	var h Histogram
	f, cleanup, err := tempFile(o.DataDir)
	if err != nil {
		return h, err
	}
	defer cleanup()
	buf := make([]byte, o.FsyncSize)
	fillContent(buf, 2, 0)

	start := time.Now()
	for i := 0; i < o.FsyncCount && ctx.Err() == nil; i++ {
		// Past the time budget keep at least a handful of samples.
		if i >= 10 && time.Since(start) > o.MaxTime {
			break
		}
		t := time.Now()
		if _, err := f.Write(buf); err != nil {
			return h, fmt.Errorf("fsync test: write: %w", err)
		}
		if err := f.Sync(); err != nil {
			return h, fmt.Errorf("fsync test: %w", err)
		}
		h.Record(time.Since(t))
	}
	return h, ctx.Err()
}

// MeasureHash feeds up to o.HashBytes to h from one goroutine, in 1 MiB
// writes, and returns MiB/s.
func MeasureHash(ctx context.Context, h hash.Hash, o LimitOptions) (float64, error) {
	buf := make([]byte, 1<<20)
	fillContent(buf, 3, 0)
	start := time.Now()
	var done int64
	for done < o.HashBytes && time.Since(start) < o.MaxTime && ctx.Err() == nil {
		h.Write(buf)
		done += int64(len(buf))
	}
	h.Sum(nil)
	return mibps(done, time.Since(start)), ctx.Err()
}

// MeasureLoopback sends data over one TCP connection on 127.0.0.1 for
// o.LoopbackTime and returns the MiB/s the receiver saw.
func MeasureLoopback(ctx context.Context, o LimitOptions) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("loopback test: %w", err)
	}
	defer ln.Close()

	type result struct {
		n   int64
		d   time.Duration
		err error
	}
	res := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			res <- result{err: err}
			return
		}
		defer c.Close()
		buf := make([]byte, 256<<10)
		var n int64
		var start time.Time
		for {
			k, err := c.Read(buf)
			if n == 0 && k > 0 {
				// Time from the first byte so connection setup is not counted.
				start = time.Now()
			}
			n += int64(k)
			if err == io.EOF {
				res <- result{n: n, d: time.Since(start)}
				return
			}
			if err != nil {
				res <- result{err: err}
				return
			}
		}
	}()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return 0, fmt.Errorf("loopback test: %w", err)
	}
	buf := make([]byte, 256<<10)
	fillContent(buf, 4, 0)
	start := time.Now()
	for time.Since(start) < o.LoopbackTime && ctx.Err() == nil {
		if _, err := c.Write(buf); err != nil {
			c.Close()
			return 0, fmt.Errorf("loopback test: write: %w", err)
		}
	}
	c.Close()
	r := <-res
	if r.err != nil {
		return 0, fmt.Errorf("loopback test: read: %w", r.err)
	}
	return mibps(r.n, r.d), ctx.Err()
}

func mibps(bytes int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(bytes) / (1 << 20) / d.Seconds()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// defaultDataDir returns ./data when it exists (the server's default data
// directory, so the disk measured is the server's disk), else the OS temp
// directory.
func defaultDataDir() string {
	if fi, err := os.Stat("data"); err == nil && fi.IsDir() {
		abs, err := filepath.Abs("data")
		if err == nil {
			return abs
		}
		return "data"
	}
	return os.TempDir()
}
