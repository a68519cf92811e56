// Package chunk is a node's local content-addressed chunk store.
//
// A chunk is an immutable blob, small enough to hold in memory (at most the
// configured chunk size, 4 MiB by default), whose identity is the SHA-256 of
// its bytes. Identical chunks written by any object, bucket or user are stored
// once per node.
//
// # Layout
//
// A store owns one directory:
//
//	<dir>/LOCK                      held (flock) while a Store is open
//	<dir>/ab/cd/abcd…(64 hex)       one file per chunk, two levels of 256-way fan-out
//	<dir>/tmp/                      chunks being written; emptied by Open
//	<dir>/quarantine/               chunks that failed verification, kept for operators
//
// # Durability
//
// Put writes to a temporary file, fsyncs it, renames it into place and fsyncs
// the directory, so after a crash a chunk file is either absent or complete.
// Get verifies the SHA-256 of what it reads; a chunk that fails is moved to
// the quarantine directory so that the next Put of the same content writes a
// fresh copy (read repair and the scrubber do exactly that).
//
// # Garbage collection
//
// Chunks are deleted by mark-and-sweep with a grace period: see Store.Sweep
// and the argument in gc.go for why a chunk re-referenced by a concurrent
// dedup hit is never deleted.
package chunk
