package chunk

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS flushes every dirty page and metadata change of the filesystem
// that holds f, and waits for the disk to have them (syncfs(2); on ext4
// and xfs this includes the journal commit and a cache flush).
func syncFS(f *os.File) error {
	return unix.Syncfs(int(f.Fd()))
}
