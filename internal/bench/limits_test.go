package bench

import (
	"context"
	"crypto/sha256"
	"os"
	"testing"
	"time"
)

// smallLimitOptions keeps each measurement to a few milliseconds.
func smallLimitOptions(t *testing.T) LimitOptions {
	return LimitOptions{
		DataDir:       t.TempDir(),
		DiskBytes:     4 << 20,
		DiskWriteSize: 256 << 10,
		DiskSyncEvery: 1 << 20,
		FsyncCount:    20,
		FsyncSize:     4 << 10,
		HashBytes:     8 << 20,
		LoopbackTime:  50 * time.Millisecond,
		MaxTime:       2 * time.Second,
	}
}

func TestMeasureLimitsSmall(t *testing.T) {
	o := smallLimitOptions(t)
	l, err := MeasureLimits(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{
		"disk write":   l.DiskWriteMiBps,
		"fsync p50":    l.FsyncP50Ms,
		"fsync p99":    l.FsyncP99Ms,
		"sha256":       l.SHA256MiBps,
		"md5":          l.MD5MiBps,
		"tcp loopback": l.LoopbackMiBps,
	} {
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	if l.FsyncP99Ms < l.FsyncP50Ms {
		t.Errorf("fsync p99 %v < p50 %v", l.FsyncP99Ms, l.FsyncP50Ms)
	}
	if l.FsyncCount != o.FsyncCount {
		t.Errorf("fsync samples = %d, want %d", l.FsyncCount, o.FsyncCount)
	}
	// The scratch files are gone.
	ents, err := os.ReadDir(o.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("data dir holds %d files after the measurements, want 0", len(ents))
	}
}

func TestMeasureDiskWriteCreatesDataDir(t *testing.T) {
	o := smallLimitOptions(t)
	o.DataDir += "/not/yet/there"
	if v, err := MeasureDiskWrite(context.Background(), o); err != nil || !(v > 0) {
		t.Fatalf("MeasureDiskWrite = %v, %v; want > 0, nil", v, err)
	}
}

func TestMeasureStopsWhenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := smallLimitOptions(t)
	o.HashBytes = 1 << 40 // would take minutes if the cancel were ignored
	if _, err := MeasureHash(ctx, sha256.New(), o); err != context.Canceled {
		t.Fatalf("MeasureHash on a canceled context: err = %v, want context.Canceled", err)
	}
}
