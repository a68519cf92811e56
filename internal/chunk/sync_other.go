//go:build !linux

package chunk

import (
	"os"
	"syscall"
)

// syncFS flushes the filesystem. Without syncfs(2), sync(2) flushes all
// filesystems; it is slower but as durable.
func syncFS(f *os.File) error {
	syscall.Sync()
	return nil
}
