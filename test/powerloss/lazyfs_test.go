package powerloss

// lazyFS is a FUSE pass-through filesystem that loses, on a simulated power
// cut, every file write that was not fsynced: the model of a disk with a
// volatile write cache and a kernel page cache that vanish together.
//
// What it models: file data. Writes (and truncations) of a file are kept in
// memory, per underlying inode, and served to readers from there; fsync or
// fdatasync of the file writes them to the backing directory and fsyncs
// it there. A power cut (cut) discards everything held in memory.
//
// What it does not model: metadata. Creating, renaming and removing files
// and directories pass straight through to the backing directory, so they
// survive a cut even without an fsync of their directory. The model is
// therefore weaker than a real disk on that side: it cannot catch a
// missing directory fsync (a file whose name is lost). It does catch every
// missing or ineffective file flush: chunk files written without fdatasync
// come back empty after a cut, and Pebble's WAL loses its tail.

import (
	"context"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

const pageSize = 4096

// overlay is the unsynced state of one file: its logical size, the pages
// written since the last flush, and how much of the backing file still
// holds valid data (a truncation below the backing size cuts it).
type overlay struct {
	fd    int // a descriptor of the backing file open for writing (its own dup)
	size  int64
	base  int64
	pages map[int64][]byte
}

type lazyFS struct {
	backing string
	mnt     string
	server  *fuse.Server

	mu       sync.Mutex
	overlays map[uint64]*overlay // backing inode -> unsynced state
	synced   int                 // fsyncs served (for the test log)
}

// mountLazyFS mounts a lazyFS of backing at mnt.
func mountLazyFS(t *testing.T, backing, mnt string) *lazyFS {
	t.Helper()
	l := &lazyFS{backing: backing, mnt: mnt, overlays: map[uint64]*overlay{}}
	l.mount(t)
	return l
}

func (l *lazyFS) mount(t *testing.T) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(l.backing, &st); err != nil {
		t.Fatal(err)
	}
	root := &fs.LoopbackRoot{Path: l.backing, Dev: uint64(st.Dev)}
	root.NewNode = func(r *fs.LoopbackRoot, _ *fs.Inode, _ string, _ *syscall.Stat_t) fs.InodeEmbedder {
		return &lazyNode{LoopbackNode: fs.LoopbackNode{RootData: r}, lfs: l}
	}
	rootNode := &lazyNode{LoopbackNode: fs.LoopbackNode{RootData: root}, lfs: l}
	root.RootNode = rootNode
	zero := time.Duration(0)
	server, err := fs.Mount(l.mnt, rootNode, &fs.Options{
		MountOptions: fuse.MountOptions{
			DirectMount: true, FsName: "lazyfs", Name: "lazyfs",
			// Reads of one file by several processes must see one state.
			DisableXAttrs: true,
		},
		AttrTimeout: &zero, EntryTimeout: &zero, NegativeTimeout: &zero,
	})
	if err != nil {
		t.Fatalf("mount lazyfs (needs root and /dev/fuse): %v", err)
	}
	l.server = server
	t.Cleanup(func() { l.unmount() })
}

func (l *lazyFS) unmount() {
	if l.server == nil {
		return
	}
	for i := 0; i < 50; i++ {
		if err := l.server.Unmount(); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond) // a killed process's files are still being released
	}
	l.server.Wait()
	l.server = nil
}

// cut simulates a power cut: the caller has killed every process using the
// mount. It unmounts (dropping the kernel's caches of the mount), throws
// away every unsynced write, and mounts again. It returns how many files
// lost data.
func (l *lazyFS) cut(t *testing.T) int {
	t.Helper()
	l.unmount()
	l.mu.Lock()
	lost := 0
	for ino, o := range l.overlays {
		if len(o.pages) > 0 || o.size != o.base {
			lost++
		}
		syscall.Close(o.fd)
		delete(l.overlays, ino)
	}
	l.mu.Unlock()
	l.mount(t)
	return lost
}

func inoOf(fd int) (uint64, int64, syscall.Errno) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return 0, 0, fs.ToErrno(err)
	}
	return st.Ino, st.Size, 0
}

// overlayFor returns the overlay of the file open as fd, creating it.
// l.mu is held.
func (l *lazyFS) overlayFor(fd int) (*overlay, syscall.Errno) {
	ino, size, errno := inoOf(fd)
	if errno != 0 {
		return nil, errno
	}
	if o := l.overlays[ino]; o != nil {
		return o, 0
	}
	dup, err := syscall.Dup(fd)
	if err != nil {
		return nil, fs.ToErrno(err)
	}
	o := &overlay{fd: dup, size: size, base: size, pages: map[int64][]byte{}}
	l.overlays[ino] = o
	return o, 0
}

// page returns page i of o for writing, loading it from the backing file.
func (o *overlay) page(i int64) []byte {
	if p := o.pages[i]; p != nil {
		return p
	}
	p := make([]byte, pageSize)
	if off := i * pageSize; off < o.base {
		n, _ := syscall.Pread(o.fd, p[:min(pageSize, o.base-off)], off)
		clear(p[max(n, 0):])
	}
	o.pages[i] = p
	return p
}

func (o *overlay) write(data []byte, off int64) {
	for done := 0; done < len(data); {
		pos := off + int64(done)
		p := o.page(pos / pageSize)
		done += copy(p[pos%pageSize:], data[done:])
	}
	o.size = max(o.size, off+int64(len(data)))
}

func (o *overlay) read(buf []byte, off int64) int {
	if off >= o.size {
		return 0
	}
	buf = buf[:min(int64(len(buf)), o.size-off)]
	for done := 0; done < len(buf); {
		pos := off + int64(done)
		i := pos / pageSize
		in := pos % pageSize
		n := min(len(buf)-done, int(pageSize-in))
		if p := o.pages[i]; p != nil {
			copy(buf[done:done+n], p[in:])
		} else {
			chunk := buf[done : done+n]
			clear(chunk)
			if pos < o.base {
				syscall.Pread(o.fd, chunk[:min(int64(n), o.base-pos)], pos)
			}
		}
		done += n
	}
	return len(buf)
}

func (o *overlay) truncate(size int64) {
	for i := range o.pages {
		if i*pageSize >= size {
			delete(o.pages, i)
		}
	}
	if size%pageSize != 0 {
		if p := o.pages[size/pageSize]; p != nil {
			clear(p[size%pageSize:])
		}
	}
	o.base = min(o.base, size)
	o.size = size
}

// flush writes o to the backing file and fsyncs it there.
func (o *overlay) flush() syscall.Errno {
	if err := syscall.Ftruncate(o.fd, o.base); err != nil {
		return fs.ToErrno(err)
	}
	for i, p := range o.pages {
		off := i * pageSize
		if off >= o.size {
			continue
		}
		if _, err := syscall.Pwrite(o.fd, p[:min(pageSize, o.size-off)], off); err != nil {
			return fs.ToErrno(err)
		}
	}
	if err := syscall.Ftruncate(o.fd, o.size); err != nil {
		return fs.ToErrno(err)
	}
	if err := syscall.Fsync(o.fd); err != nil {
		return fs.ToErrno(err)
	}
	return 0
}

// fsync makes the file open as fd durable: its overlay goes to the backing
// file, which is fsynced.
func (l *lazyFS) fsync(fd int) syscall.Errno {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.synced++
	ino, _, errno := inoOf(fd)
	if errno != 0 {
		return errno
	}
	o := l.overlays[ino]
	if o == nil {
		return fs.ToErrno(syscall.Fsync(fd))
	}
	if errno := o.flush(); errno != 0 {
		return errno
	}
	syscall.Close(o.fd)
	delete(l.overlays, ino)
	return 0
}

// forget drops the overlay of a backing file about to lose its last name.
func (l *lazyFS) forget(path string) {
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil || st.Nlink > 1 || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if o := l.overlays[st.Ino]; o != nil {
		syscall.Close(o.fd)
		delete(l.overlays, st.Ino)
	}
}

// lazyNode is a loopback node whose files are lazyFiles.
type lazyNode struct {
	fs.LoopbackNode
	lfs *lazyFS
}

func (n *lazyNode) backingPath() string {
	return filepath.Join(n.RootData.Path, n.Path(n.Root()))
}

var (
	_ fs.NodeOpener    = (*lazyNode)(nil)
	_ fs.NodeCreater   = (*lazyNode)(nil)
	_ fs.NodeGetattrer = (*lazyNode)(nil)
	_ fs.NodeSetattrer = (*lazyNode)(nil)
	_ fs.NodeUnlinker  = (*lazyNode)(nil)
	_ fs.NodeRenamer   = (*lazyNode)(nil)
)

func (n *lazyNode) wrap(fh fs.FileHandle) fs.FileHandle {
	lf, ok := fh.(*fs.LoopbackFile)
	if !ok {
		return fh
	}
	fd, _ := lf.PassthroughFd()
	return &lazyFile{lf: lf, fd: fd, lfs: n.lfs}
}

func (n *lazyNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	fh, fl, errno := n.LoopbackNode.Open(ctx, flags)
	if errno != 0 {
		return nil, 0, errno
	}
	if flags&syscall.O_TRUNC != 0 {
		// The backing file was truncated at once: so is its overlay.
		f := n.wrap(fh).(*lazyFile)
		n.lfs.mu.Lock()
		if o, errno := n.lfs.overlayFor(f.fd); errno == 0 {
			o.truncate(0)
		}
		n.lfs.mu.Unlock()
		return f, fl, 0
	}
	return n.wrap(fh), fl, 0
}

func (n *lazyNode) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	n.lfs.forget(filepath.Join(n.backingPath(), name)) // O_TRUNC of an existing file
	ch, fh, fl, errno := n.LoopbackNode.Create(ctx, name, flags, mode, out)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	return ch, n.wrap(fh), fl, 0
}

func (n *lazyNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if lf, ok := f.(*lazyFile); ok {
		return lf.Getattr(ctx, out)
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(n.backingPath(), &st); err != nil {
		return fs.ToErrno(err)
	}
	out.FromStat(&st)
	n.lfs.mu.Lock()
	if o := n.lfs.overlays[st.Ino]; o != nil {
		out.Size = uint64(o.size)
	}
	n.lfs.mu.Unlock()
	return 0
}

func (n *lazyNode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	size, hasSize := in.GetSize()
	if hasSize {
		// Truncation is file data: keep it in the overlay.
		in.Valid &^= fuse.FATTR_SIZE
		fd, opened := -1, false
		if lf, ok := f.(*lazyFile); ok {
			fd = lf.fd
		} else {
			var err error
			if fd, err = syscall.Open(n.backingPath(), syscall.O_WRONLY, 0); err != nil {
				return fs.ToErrno(err)
			}
			opened = true
		}
		n.lfs.mu.Lock()
		o, errno := n.lfs.overlayFor(fd)
		if errno == 0 {
			o.truncate(int64(size))
		}
		n.lfs.mu.Unlock()
		if opened {
			syscall.Close(fd)
		}
		if errno != 0 {
			return errno
		}
	}
	var inner fs.FileHandle
	if lf, ok := f.(*lazyFile); ok {
		inner = lf.lf
	}
	if errno := n.LoopbackNode.Setattr(ctx, inner, in, out); errno != 0 {
		return errno
	}
	return n.Getattr(ctx, f, out)
}

func (n *lazyNode) Unlink(ctx context.Context, name string) syscall.Errno {
	n.lfs.forget(filepath.Join(n.backingPath(), name))
	return n.LoopbackNode.Unlink(ctx, name)
}

func (n *lazyNode) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	if p, ok := newParent.(*lazyNode); ok && flags == 0 {
		n.lfs.forget(filepath.Join(p.backingPath(), newName)) // replaced
		return n.LoopbackNode.Rename(ctx, name, &p.LoopbackNode, newName, flags)
	}
	return syscall.EXDEV
}

// Statx is refused so that the kernel asks Getattr, which knows overlays.
func (n *lazyNode) Statx(ctx context.Context, f fs.FileHandle, flags uint32, mask uint32, out *fuse.StatxOut) syscall.Errno {
	return syscall.ENOSYS
}

// lazyFile is an open file of a lazyFS.
type lazyFile struct {
	lf  *fs.LoopbackFile // owns fd
	fd  int
	lfs *lazyFS
}

var (
	_ fs.FileReader    = (*lazyFile)(nil)
	_ fs.FileWriter    = (*lazyFile)(nil)
	_ fs.FileFsyncer   = (*lazyFile)(nil)
	_ fs.FileFlusher   = (*lazyFile)(nil)
	_ fs.FileReleaser  = (*lazyFile)(nil)
	_ fs.FileGetattrer = (*lazyFile)(nil)
	_ fs.FileLseeker   = (*lazyFile)(nil)
)

func (f *lazyFile) Read(ctx context.Context, buf []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	f.lfs.mu.Lock()
	defer f.lfs.mu.Unlock()
	ino, _, errno := inoOf(f.fd)
	if errno != 0 {
		return nil, errno
	}
	if o := f.lfs.overlays[ino]; o != nil {
		n := o.read(buf, off)
		return fuse.ReadResultData(buf[:n]), 0
	}
	n, err := syscall.Pread(f.fd, buf, off)
	if err != nil {
		return nil, fs.ToErrno(err)
	}
	return fuse.ReadResultData(buf[:n]), 0
}

func (f *lazyFile) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	f.lfs.mu.Lock()
	defer f.lfs.mu.Unlock()
	o, errno := f.lfs.overlayFor(f.fd)
	if errno != 0 {
		return 0, errno
	}
	o.write(data, off)
	return uint32(len(data)), 0
}

func (f *lazyFile) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	return f.lfs.fsync(f.fd)
}

// Flush (close) makes nothing durable.
func (f *lazyFile) Flush(ctx context.Context) syscall.Errno { return 0 }

func (f *lazyFile) Release(ctx context.Context) syscall.Errno { return f.lf.Release(ctx) }

func (f *lazyFile) Getattr(ctx context.Context, out *fuse.AttrOut) syscall.Errno {
	var st syscall.Stat_t
	if err := syscall.Fstat(f.fd, &st); err != nil {
		return fs.ToErrno(err)
	}
	out.FromStat(&st)
	f.lfs.mu.Lock()
	if o := f.lfs.overlays[st.Ino]; o != nil {
		out.Size = uint64(o.size)
	}
	f.lfs.mu.Unlock()
	return 0
}

// Lseek supports SEEK_SET/CUR/END through the kernel; SEEK_DATA and
// SEEK_HOLE see the whole logical file as data.
func (f *lazyFile) Lseek(ctx context.Context, off uint64, whence uint32) (uint64, syscall.Errno) {
	const seekData, seekHole = 3, 4
	var out fuse.AttrOut
	if errno := f.Getattr(ctx, &out); errno != 0 {
		return 0, errno
	}
	switch whence {
	case seekData:
		if off >= out.Size {
			return 0, syscall.ENXIO
		}
		return off, 0
	case seekHole:
		return out.Size, 0
	}
	return 0, syscall.EINVAL
}
