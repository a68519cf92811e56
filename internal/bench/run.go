package bench

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cespare/xxhash/v2"
)

// opKind is one S3 operation the benchmark issues.
type opKind int

const (
	opPut opKind = iota
	opGet
	opHead
	opList
	opDelete
	numOps
)

var opNames = [numOps]string{"PUT", "GET", "HEAD", "LIST", "DELETE"}

func (k opKind) String() string { return opNames[k] }

// The mixed workload, in percent of operations. DELETE removes an object
// the same worker wrote earlier in the run, so the read set stays intact.
var mixedShares = [numOps]int{opGet: 50, opPut: 30, opHead: 10, opList: 5, opDelete: 5}

// listMaxKeys is the page size of LIST requests (the S3 default).
const listMaxKeys = 1000

// maxErrorSamples is how many distinct error messages are kept per op.
const maxErrorSamples = 5

// opStats accumulates the results of one op kind in one worker.
type opStats struct {
	hist    *Histogram // successful operations only
	count   int64
	errors  int64
	bytes   int64
	samples []string
}

func (s *opStats) fail(err error) {
	s.errors++
	s.addSample(err.Error())
}

// addSample keeps msg unless it is kept already or enough are.
func (s *opStats) addSample(msg string) {
	if len(s.samples) >= maxErrorSamples || slices.Contains(s.samples, msg) {
		return
	}
	s.samples = append(s.samples, msg)
}

func (s *opStats) merge(o *opStats) {
	if o.hist != nil {
		if s.hist == nil {
			s.hist = new(Histogram)
		}
		s.hist.Merge(o.hist)
	}
	s.count += o.count
	s.errors += o.errors
	s.bytes += o.bytes
	for _, m := range o.samples {
		s.addSample(m)
	}
}

// runner holds the state of one S3 benchmark run shared by its workers.
type runner struct {
	cfg     *S3Config
	client  *s3.Client
	prefix  string
	runSeed uint64
	stderr  io.Writer

	readKeys []string
	readHash []uint64 // xxhash64 of each read-set object's content
	listPfx  string

	deadline time.Time    // zero when the run is bounded by count only
	issued   atomic.Int64 // operations started, against --count
	done     atomic.Int64 // operations finished, for progress
	failed   atomic.Int64
	delNext  atomic.Int64 // next read-set index for --op delete

	lastWorkers []*worker // the timed phase's workers, for cleanup
}

// worker is one load-generating goroutine. Everything in it is reused from
// one operation to the next.
type worker struct {
	r      *runner
	id     int
	rng    *mrand.Rand
	buf    []byte
	digest *xxhash.Digest
	putSeq uint64 // objects written so far by this worker
	delSeq uint64 // objects of this worker deleted in the mixed workload
	stats  [numOps]opStats
}

func newRunner(cfg *S3Config, stderr io.Writer) *runner {
	var b [8]byte
	rand.Read(b[:])
	r := &runner{
		cfg:     cfg,
		client:  newS3Client(cfg),
		runSeed: binary.LittleEndian.Uint64(b[:]),
		stderr:  stderr,
	}
	r.prefix = cfg.Prefix
	if r.prefix == "" {
		r.prefix = fmt.Sprintf("bench-%08x", uint32(r.runSeed>>32))
	}
	r.listPfx = r.prefix + "/obj-"
	return r
}

func (r *runner) newWorker(id int) *worker {
	bufSize := int(min(max(r.cfg.Size, 4<<10), 256<<10))
	return &worker{
		r:      r,
		id:     id,
		rng:    mrand.New(mrand.NewPCG(r.runSeed, uint64(id))),
		buf:    make([]byte, bufSize),
		digest: xxhash.New(),
	}
}

// needsReadSet reports whether the op reads (or deletes) pre-written objects.
func needsReadSet(op string) bool { return op != "put" }

// populate writes the read set, untimed, and records the hash of each
// object's content for GET to verify against.
func (r *runner) populate(ctx context.Context) error {
	n := r.cfg.Objects
	r.readKeys = make([]string, n)
	r.readHash = make([]uint64, n)
	for i := range n {
		r.readKeys[i] = readKey(r.prefix, i)
	}
	if !r.cfg.Quiet {
		fmt.Fprintf(r.stderr, "writing %d objects of %s to %s/%s ...\n", n, FormatSize(r.cfg.Size), r.cfg.Bucket, r.prefix)
	}
	var next atomic.Int64
	errc := make(chan error, r.cfg.Concurrency)
	for w := range r.cfg.Concurrency {
		go func() {
			wk := r.newWorker(w)
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					break
				}
				seed := seedFor(r.runSeed, streamRead, uint64(i))
				wk.digest.Reset()
				if _, err := io.CopyBuffer(wk.digest, newContentReader(seed, r.cfg.Size), wk.buf); err != nil {
					errc <- err
					return
				}
				r.readHash[i] = wk.digest.Sum64()
				if err := r.put(ctx, r.readKeys[i], seed); err != nil {
					errc <- fmt.Errorf("populate %s: %w", r.readKeys[i], err)
					return
				}
			}
			errc <- ctx.Err()
		}()
	}
	var first error
	for range r.cfg.Concurrency {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// put writes one object whose content is given by seed.
func (r *runner) put(ctx context.Context, key string, seed uint64) error {
	// A new reader per request: after an error the transport may still be
	// reading the old one.
	_, err := r.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               &r.cfg.Bucket,
		Key:                  &key,
		Body:                 newContentReader(seed, r.cfg.Size),
		ContentLength:        aws.Int64(r.cfg.Size),
		ServerSideEncryption: types.ServerSideEncryption(r.cfg.SSE),
	})
	return err
}

// next reports whether a worker may start another timed operation.
func (r *runner) next(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	if r.cfg.Count > 0 && r.issued.Add(1) > r.cfg.Count {
		return false
	}
	if !r.deadline.IsZero() && !time.Now().Before(r.deadline) {
		return false
	}
	return true
}

// errExhausted ends a worker of --op delete when the read set is gone.
var errExhausted = errors.New("read set exhausted")

// loop runs timed operations until the run's end.
func (w *worker) loop(ctx context.Context) {
	r := w.r
	for r.next(ctx) {
		op := w.choose()
		start := time.Now()
		n, err := w.do(ctx, op)
		d := time.Since(start)
		if errors.Is(err, errExhausted) {
			return
		}
		s := &w.stats[op]
		if err != nil {
			if ctx.Err() != nil {
				return // interrupted, not failed
			}
			s.fail(err)
			r.failed.Add(1)
		} else {
			if s.hist == nil {
				s.hist = new(Histogram)
			}
			s.hist.Record(d)
			s.count++
			s.bytes += n
		}
		r.done.Add(1)
	}
}

// choose picks the next operation.
func (w *worker) choose() opKind {
	switch w.r.cfg.Op {
	case "put":
		return opPut
	case "get":
		return opGet
	case "head":
		return opHead
	case "list":
		return opList
	case "delete":
		return opDelete
	}
	x := w.rng.IntN(100)
	for k := range numOps {
		if x < mixedShares[k] {
			if k == opDelete && w.delSeq >= w.putSeq {
				return opList // nothing of ours left to delete yet
			}
			return k
		}
		x -= mixedShares[k]
	}
	return opGet
}

// do performs one operation and returns the payload bytes it moved.
func (w *worker) do(ctx context.Context, op opKind) (int64, error) {
	r := w.r
	switch op {
	case opPut:
		seq := w.putSeq
		w.putSeq++
		err := r.put(ctx, putKey(r.prefix, w.id, seq), seedFor(r.runSeed, streamPut(w.id), seq))
		return r.cfg.Size, err
	case opGet:
		return w.get(ctx, w.rng.IntN(len(r.readKeys)))
	case opHead:
		i := w.rng.IntN(len(r.readKeys))
		out, err := r.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &r.cfg.Bucket, Key: &r.readKeys[i]})
		if err != nil {
			return 0, err
		}
		if got := aws.ToInt64(out.ContentLength); got != r.cfg.Size {
			return 0, fmt.Errorf("head %s: content length %d, want %d", r.readKeys[i], got, r.cfg.Size)
		}
		return 0, nil
	case opList:
		out, err := r.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &r.cfg.Bucket, Prefix: &r.listPfx})
		if err != nil {
			return 0, err
		}
		if want := min(len(r.readKeys), listMaxKeys); len(out.Contents) != want {
			return 0, fmt.Errorf("list %s: %d keys, want %d", r.listPfx, len(out.Contents), min(len(r.readKeys), listMaxKeys))
		}
		return 0, nil
	case opDelete:
		var key string
		if r.cfg.Op == "delete" {
			i := int(r.delNext.Add(1) - 1)
			if i >= len(r.readKeys) {
				return 0, errExhausted
			}
			key = r.readKeys[i]
		} else {
			key = putKey(r.prefix, w.id, w.delSeq)
			w.delSeq++
		}
		_, err := r.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &r.cfg.Bucket, Key: &key})
		return 0, err
	}
	return 0, fmt.Errorf("unknown op %d", op)
}

// get reads read-set object i in full and checks its length and content.
func (w *worker) get(ctx context.Context, i int) (int64, error) {
	r := w.r
	key := r.readKeys[i]
	out, err := r.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &r.cfg.Bucket, Key: &key})
	if err != nil {
		return 0, err
	}
	defer out.Body.Close()
	n, err := verifyBody(out.Body, w.buf, w.digest, r.cfg.Size, r.readHash[i])
	if err != nil {
		return n, fmt.Errorf("get %s: %w", key, err)
	}
	return n, nil
}

// verifyBody reads body to its end through buf and checks that it is size
// bytes long and hashes (xxhash64) to want. It returns the bytes read.
func verifyBody(body io.Reader, buf []byte, d *xxhash.Digest, size int64, want uint64) (int64, error) {
	d.Reset()
	var n int64
	for {
		k, err := body.Read(buf)
		d.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, fmt.Errorf("read body after %d bytes: %w", n, err)
		}
	}
	if n != size {
		return n, fmt.Errorf("body is %d bytes, want %d", n, size)
	}
	if d.Sum64() != want {
		return n, errors.New("body differs from the content written")
	}
	return n, nil
}

// progress prints a line every interval until stop is closed.
func (r *runner) progress(start time.Time, interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last int64
	lastAt := start
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			n := r.done.Load()
			cur := float64(n-last) / now.Sub(lastAt).Seconds()
			fmt.Fprintf(r.stderr, "%7.1fs  ops %-9d %9.1f ops/s  errors %d\n",
				now.Sub(start).Seconds(), n, cur, r.failed.Load())
			last, lastAt = n, now
		}
	}
}

// timed runs the timed phase and returns each op's merged stats and the
// phase's wall time.
func (r *runner) timed(ctx context.Context) ([numOps]opStats, time.Duration) {
	workers := make([]*worker, r.cfg.Concurrency)
	for i := range workers {
		workers[i] = r.newWorker(i)
	}
	start := time.Now()
	if r.cfg.Duration > 0 {
		r.deadline = start.Add(r.cfg.Duration)
	}
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	if r.cfg.Progress > 0 {
		pwg.Go(func() { r.progress(start, r.cfg.Progress, stop) })
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w.loop(ctx) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	pwg.Wait()

	var total [numOps]opStats
	for _, w := range workers {
		for k := range numOps {
			total[k].merge(&w.stats[k])
		}
	}
	r.lastWorkers = workers
	return total, elapsed
}

// cleanup deletes what the run left: the rest of the read set and each
// worker's written objects that the mixed workload did not delete. Errors
// are counted, not fatal: the results are already in.
func (r *runner) cleanup(ctx context.Context) (deleted, failed int64) {
	keys := make(chan string, 1024)
	go func() {
		defer close(keys)
		start := 0
		if r.cfg.Op == "delete" {
			start = int(min(r.delNext.Load(), int64(len(r.readKeys))))
		}
		for _, k := range r.readKeys[start:] {
			select {
			case keys <- k:
			case <-ctx.Done():
				return
			}
		}
		for _, w := range r.lastWorkers {
			for seq := w.delSeq; seq < w.putSeq; seq++ {
				select {
				case keys <- putKey(r.prefix, w.id, seq):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	var nd, nf atomic.Int64
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for k := range keys {
				_, err := r.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &r.cfg.Bucket, Key: &k})
				if err != nil {
					nf.Add(1)
				} else {
					nd.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return nd.Load(), nf.Load()
}
