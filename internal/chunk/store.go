package chunk

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anode/anode/internal/metrics"
)

var (
	// ErrNotFound is returned for a chunk the store does not hold.
	ErrNotFound = errors.New("chunk not found")
	// ErrCorrupt is returned when a chunk's bytes do not hash to its name.
	// The damaged file has been moved to the quarantine directory; fetch the
	// chunk from another replica and Put it again.
	ErrCorrupt = errors.New("chunk corrupt")
	// ErrHashMismatch is returned by Put, when Options.VerifyPuts is set,
	// for data whose SHA-256 is not the hash given with it.
	ErrHashMismatch = errors.New("chunk data does not match its hash")
)

var (
	storedWrites = metrics.ChunkWrites.WithLabelValues("stored")
	dedupWrites  = metrics.ChunkWrites.WithLabelValues("dedup")
)

// Options configure a Store.
type Options struct {
	// Dir is the store's directory; Open creates it if needed.
	Dir string
	// NoSync skips every fsync. A crash may then lose or tear recently
	// written chunks. For tests and benchmarks only.
	NoSync bool
	// VerifyPuts makes Put hash its data and reject a wrong hash with
	// ErrHashMismatch. Callers hash chunks while streaming them, so checking
	// again would double the hashing cost of every write; this is a debugging
	// aid for new callers, off by default.
	VerifyPuts bool
	// Now is the clock used for chunk modification times and by Sweep.
	// Nil means time.Now. Tests set it to control garbage collection.
	Now func() time.Time
	// Logger receives warnings about quarantined and stray files.
	// Nil means slog.Default().
	Logger *slog.Logger
	// MinFree is the free space (bytes) the store keeps on its filesystem:
	// below it, CheckSpace and Puts of new chunks fail with ErrNoSpace
	// (dedup hits still succeed). Zero means DefaultMinFree; negative
	// disables the reserve.
	MinFree int64
	// FreeSpace measures the bytes available on the filesystem holding a
	// path; nil means statfs(2). Tests replace it.
	FreeSpace func(path string) (int64, error)
}

// DefaultMinFree is the default reserve: enough for the metadata of the
// deletes that free space again, and for Pebble's compactions.
const DefaultMinFree = 256 << 20

// Store is a directory of content-addressed chunks. It is safe for
// concurrent use. Only one Store may have a directory open at a time.
type Store struct {
	dir           string
	tmpDir        string
	quarantineDir string
	noSync        bool
	verifyPuts    bool
	now           func() time.Time
	log           *slog.Logger
	lockFile      *os.File
	minFree       int64
	freeSpace     func(string) (int64, error)

	// failed holds the first flush error (see durable.go).
	failed atomic.Pointer[error]
	fanout fanoutDirs
	space  spaceState

	// touchFloor is when Open ran, or zero after a clean stop. Touches of
	// existing chunks are not fsynced, so after a crash Sweep treats every
	// chunk as touched no earlier than this (see gc.go and touches.go).
	touchFloor time.Time
	touches    touchLog
	// sweepScanned counts the chunks the running (or last) Sweep looked at.
	sweepScanned atomic.Int64

	// locks serialise, per chunk, Put's "exists? touch : write" against
	// Sweep's "stat, decide, delete" (see gc.go), and against quarantine and
	// Delete. Chunks are striped over the locks by their first byte.
	locks [256]sync.Mutex

	chunks atomic.Int64
	bytes  atomic.Int64

	// Test hooks, nil in production. onContended runs when lock finds the
	// stripe held, just before blocking; beforeRemove runs in Sweep with the
	// stripe held, after deciding to delete h and before deleting it.
	onContended  func(h Hash)
	beforeRemove func(h Hash)
	// syncFault, if set, is an error the disk reports for a file's
	// fdatasync (fault injection in tests).
	syncFault func(name string) error
}

// Open opens the store in opts.Dir, creating it if needed. It removes
// temporary files left by a crash and scans the chunks to initialise Stats,
// which takes one stat per chunk.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("chunk: open: no directory given")
	}
	s := &Store{
		dir:           opts.Dir,
		tmpDir:        filepath.Join(opts.Dir, tmpName),
		quarantineDir: filepath.Join(opts.Dir, quarantineName),
		noSync:        opts.NoSync,
		verifyPuts:    opts.VerifyPuts,
		now:           opts.Now,
		log:           opts.Logger,
		minFree:       opts.MinFree,
		freeSpace:     opts.FreeSpace,
	}
	if s.minFree == 0 {
		s.minFree = DefaultMinFree
	}
	if s.freeSpace == nil {
		s.freeSpace = statfsFree
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, d := range []string{s.dir, s.tmpDir, s.quarantineDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("chunk: open: %w", err)
		}
	}
	f, err := os.OpenFile(filepath.Join(s.dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("chunk: open: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("chunk: open %s: directory in use by another store: %w", s.dir, err)
	}
	s.lockFile = f
	if err := s.init(); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// init clears the temporary directory and counts the chunks.
func (s *Store) init() error {
	// Make the directories Open may have created durable, the store's own
	// entry in its parent included.
	for _, d := range []string{filepath.Dir(s.dir), s.dir} {
		if err := s.syncDir(d); err != nil {
			return err
		}
	}
	leftovers, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return fmt.Errorf("chunk: open: %w", err)
	}
	for _, de := range leftovers {
		// A temporary file is a chunk whose Put never returned: no one
		// depends on it.
		if err := os.RemoveAll(filepath.Join(s.tmpDir, de.Name())); err != nil {
			return fmt.Errorf("chunk: open: remove leftover: %w", err)
		}
	}
	if len(leftovers) > 0 {
		s.log.Info("chunk: removed temporary files left by an interrupted write", "dir", s.dir, "count", len(leftovers))
	}
	var n, size int64
	err = s.walk(func(h Hash, path string, de fs.DirEntry) error {
		fi, err := de.Info()
		if err != nil {
			return fmt.Errorf("chunk: open: %w", err)
		}
		n++
		size += sizeOf(fi)
		return nil
	})
	if err != nil {
		return err
	}
	if s.touchFloor, err = s.openMarker(s.now()); err != nil {
		return err
	}
	s.added(n, size)
	return nil
}

// Close releases the directory. The Store must not be used afterwards;
// closing it again does nothing.
func (s *Store) Close() error {
	if s.lockFile == nil {
		return nil
	}
	markErr := s.closeMarker()
	s.added(-s.chunks.Load(), -s.bytes.Load())
	f := s.lockFile
	s.lockFile = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("chunk: close: %w", err)
	}
	return markErr
}

// added updates the totals and the node-wide gauges by a delta, so that
// several stores in one process (as in tests) add up instead of overwriting
// each other.
func (s *Store) added(chunks, bytes int64) {
	s.chunks.Add(chunks)
	s.bytes.Add(bytes)
	metrics.Chunks.Add(float64(chunks))
	metrics.PhysicalBytes.Add(float64(bytes))
}

// Stats returns the number of chunks held and their total size in bytes.
// The totals are kept incrementally from what the store itself writes and
// removes; a file changed behind its back (a damaged disk) may skew them
// until the next Open recounts.
func (s *Store) Stats() (chunks, bytes int64) {
	return s.chunks.Load(), s.bytes.Load()
}

// lock locks and returns the stripe that guards h.
func (s *Store) lock(h Hash) *sync.Mutex {
	mu := &s.locks[h[0]]
	if !mu.TryLock() {
		if s.onContended != nil {
			s.onContended(h)
		}
		mu.Lock()
	}
	return mu
}

// Put stores data as the chunk h, which must be the SHA-256 of data (the
// caller hashed it while streaming; see Options.VerifyPuts).
//
// If the chunk is already present, Put sets its modification time to now,
// which protects it from garbage collection for the grace period, and
// returns created == false (a dedup hit). Otherwise it writes the chunk
// durably and returns created == true. Either way, once Put returns nil the
// chunk is present and the caller may commit metadata that references it,
// within the deadline described in gc.go.
func (s *Store) Put(h Hash, data []byte) (created bool, err error) {
	if s.verifyPuts {
		if got := Sum(data); got != h {
			return false, fmt.Errorf("chunk: put %s: data hashes to %s: %w", h, got, ErrHashMismatch)
		}
	}
	if err := s.Failed(); err != nil {
		return false, fmt.Errorf("chunk: put %s: %w", h, err)
	}
	mu := s.lock(h)
	defer mu.Unlock()

	p := s.path(h)
	now := s.now()
	fi, err := os.Lstat(p)
	switch {
	case err == nil && s.intact(h, fi, len(data)):
		// A dedup hit trusts the existing copy only once its blocks
		// verify: a bit-rotted copy must not absorb a new upload.
		if err := os.Chtimes(p, now, now); err != nil {
			return false, fmt.Errorf("chunk: put %s: touch: %w", h, err)
		}
		s.touches.add(h)
		dedupWrites.Inc()
		return false, nil
	case err == nil:
		// The existing copy is damaged (a torn write after a crash with
		// NoSync, or a failing disk): set it aside and write afresh.
		s.log.Warn("chunk: existing copy is damaged; writing it again", "chunk", h, "size", fi.Size())
		if err := s.quarantineLocked(h, fi); err != nil {
			return false, err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("chunk: put %s: %w", h, err)
	}
	if err := s.CheckSpace(); err != nil {
		return false, fmt.Errorf("chunk: put %s: %w", h, err)
	}
	if err := s.write(h, p, data, now); err != nil {
		return false, err
	}
	storedWrites.Inc()
	return true, nil
}

// write creates the chunk file p durably: temporary file, fdatasync,
// rename, fsync of the directory (see durable.go). The caller holds h's
// lock.
func (s *Store) write(h Hash, p string, data []byte, mtime time.Time) error {
	d, err := s.openFanout(h)
	if err != nil {
		return fmt.Errorf("chunk: put %s: %w", h, err)
	}
	defer d.Close()
	f, err := os.CreateTemp(s.tmpDir, h.String()+".*")
	if err != nil {
		return fmt.Errorf("chunk: put %s: %w", h, err)
	}
	tmp := f.Name()
	err = s.writeFile(f, data, mtime)
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("chunk: put %s: %w", h, err)
	}
	if err := s.dirSync(d); err != nil {
		// The rename may not survive a crash. Remove the file so that a
		// retried Put writes it again rather than trusting it as a dedup hit.
		os.Remove(p)
		return fmt.Errorf("chunk: put %s: %w", h, err)
	}
	s.added(1, int64(len(data)))
	return nil
}

// writeFile writes data and its block checksums (blocks.go) to f, sets its
// modification time, flushes its data, and closes it.
func (s *Store) writeFile(f *os.File, data []byte, mtime time.Time) error {
	_, err := f.Write(data)
	if err == nil {
		_, err = f.Write(appendTrailer(make([]byte, 0, fileSize(int64(len(data)))-int64(len(data))), data))
	}
	if err == nil {
		err = os.Chtimes(f.Name(), mtime, mtime)
	}
	if err == nil {
		err = s.dataSync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get returns the chunk h after verifying it (its block checksums, or the
// SHA-256 of a file written before them). It returns an error
// wrapping ErrNotFound if the chunk is absent, or ErrCorrupt if its bytes
// are damaged (the damaged file is quarantined).
func (s *Store) Get(h Hash) ([]byte, error) {
	return s.GetInto(h, nil)
}

// GetInto is Get reading into buf's storage when it is large enough, so a
// reader can reuse one buffer for many chunks. It returns buf[:size] or a
// new slice; on error, a slice of length zero.
func (s *Store) GetInto(h Hash, buf []byte) ([]byte, error) {
	buf, fi, err := s.read(h, buf)
	if errors.Is(err, ErrCorrupt) {
		s.quarantine(h, fi)
	}
	return buf, err
}

// read reads chunk h whole and verifies it, and returns its data and the
// file's FileInfo (the identity quarantine checks). The data goes into
// buf's storage when it is large enough.
func (s *Store) read(h Hash, buf []byte) ([]byte, os.FileInfo, error) {
	f, err := os.Open(s.path(h))
	if err != nil {
		return buf[:0], nil, s.pathError("get", h, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return buf[:0], nil, fmt.Errorf("chunk: get %s: %w", h, err)
	}
	size := fi.Size()
	n, err := parseFooter(f, size)
	legacy := errors.Is(err, errNoTrailer)
	switch {
	case legacy:
		n = size
	case err != nil:
		return buf[:0], fi, fmt.Errorf("chunk: get %s: %w", h, err)
	}
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := f.ReadAt(buf, 0); err != nil && !(err == io.EOF && n == 0) {
		return buf[:0], fi, fmt.Errorf("chunk: get %s: %w", h, err)
	}
	if legacy {
		if Sum(buf) != h {
			return buf[:0], fi, fmt.Errorf("chunk: get %s: %w", h, ErrCorrupt)
		}
		return buf, fi, nil
	}
	crcs := make([]byte, size-n-footerLen)
	if _, err := f.ReadAt(crcs, n); err != nil {
		return buf[:0], fi, fmt.Errorf("chunk: get %s: %w", h, err)
	}
	if bad := verifyBlocks(buf, crcs, 0); bad >= 0 {
		return buf[:0], fi, fmt.Errorf("chunk: get %s: block %d: %w", h, bad, ErrCorrupt)
	}
	return buf, fi, nil
}

// intact reports whether the chunk file fi of h holds n bytes whose blocks
// verify. The caller holds h's lock.
func (s *Store) intact(h Hash, fi os.FileInfo, n int) bool {
	if d, ok := dataSize(fi.Size()); (!ok || d != int64(n)) && fi.Size() != int64(n) {
		return false
	}
	bufp := chunkBufs.Get().(*[]byte)
	defer chunkBufs.Put(bufp)
	data, _, err := s.read(h, (*bufp)[:0])
	if cap(data) > cap(*bufp) {
		*bufp = data[:0]
	}
	return err == nil && len(data) == n
}

// ReadAt reads len(p) bytes of chunk h starting at off, like io.ReaderAt,
// verifying the checksum of every 64 KiB block it returns (blocks.go): a
// range costs a CRC of what it reads, not a hash of the whole chunk. A
// damaged block fails the read with ErrCorrupt and quarantines the file.
func (s *Store) ReadAt(h Hash, p []byte, off int64) (int, error) {
	f, err := os.Open(s.path(h))
	if err != nil {
		return 0, s.pathError("read", h, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("chunk: read %s: %w", h, err)
	}
	n, err := readRange(h, f, fi.Size(), p, off)
	switch {
	case err == nil || err == io.EOF:
		return n, err
	case errors.Is(err, ErrCorrupt):
		s.quarantine(h, fi)
	}
	return n, fmt.Errorf("chunk: read %s: %w", h, err)
}

// Has reports whether the store holds chunk h.
func (s *Store) Has(h Hash) bool {
	_, err := os.Lstat(s.path(h))
	return err == nil
}

// Size returns the size of chunk h's data, or an error wrapping ErrNotFound.
func (s *Store) Size(h Hash) (int64, error) {
	fi, err := os.Lstat(s.path(h))
	if err != nil {
		return 0, s.pathError("size", h, err)
	}
	return sizeOf(fi), nil
}

// sizeOf is the chunk data size of the chunk file fi (what Stats counts):
// its size less the block checksums, or the whole file for one written
// before them.
func sizeOf(fi os.FileInfo) int64 {
	if n, ok := dataSize(fi.Size()); ok {
		return n
	}
	return fi.Size()
}

// Delete removes chunk h unconditionally, or returns an error wrapping
// ErrNotFound. Chunks that metadata may reference must be left to Sweep;
// Delete is for repair and administration.
func (s *Store) Delete(h Hash) error {
	mu := s.lock(h)
	defer mu.Unlock()
	p := s.path(h)
	fi, err := os.Lstat(p)
	if err != nil {
		return s.pathError("delete", h, err)
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("chunk: delete %s: %w", h, err)
	}
	s.added(-1, -sizeOf(fi))
	return nil
}

// Walk calls fn for every chunk with its size and modification time (the
// last time it was written or re-referenced), in hash order, and stops at
// the first error fn returns. Chunks put or deleted during the walk may or
// may not be seen.
func (s *Store) Walk(fn func(h Hash, size int64, mtime time.Time) error) error {
	return s.walk(func(h Hash, path string, de fs.DirEntry) error {
		fi, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted since the directory was listed
		}
		if err != nil {
			return fmt.Errorf("chunk: walk: %w", err)
		}
		return fn(h, sizeOf(fi), fi.ModTime())
	})
}

// pathError wraps an error from opening or stating chunk h, turning "no such
// file" into ErrNotFound.
func (s *Store) pathError(op string, h Hash, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("chunk: %s %s: %w", op, h, ErrNotFound)
	}
	return fmt.Errorf("chunk: %s %s: %w", op, h, err)
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }
