package replica

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/peer"
)

// Handler serves this node's chunks to the other nodes, on the cluster port:
//
//	PUT  /chunks/<sha256>        store (the body must hash to the name): 201, or 200 if present
//	POST /chunks/<sha256>/touch  refresh the chunk's time: 204, or 404 if absent
//	GET  /chunks/<sha256>        read, verified; a Range header reads part, unverified
//
// It must be mounted behind a peer.Guard, which authenticates the sending
// member. A body is read up to maxChunk bytes and a range read allocates at
// most maxChunk bytes, whatever the request asks for.
func Handler(local *chunk.Store, maxChunk int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !peer.Authenticated(r) {
			http.Error(w, "a certificate of this cluster is required", http.StatusForbidden)
			return
		}
		name, touch := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/chunks/"), "/touch")
		h, err := chunk.ParseHash(name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch {
		case touch && r.Method == http.MethodPost:
			if err := local.Touch(h); err != nil {
				status := http.StatusInternalServerError
				if errors.Is(err, chunk.ErrNotFound) {
					status = http.StatusNotFound
				}
				http.Error(w, err.Error(), status)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodPut:
			if r.ContentLength > maxChunk {
				http.Error(w, "chunk larger than storage.chunk_size", http.StatusRequestEntityTooLarge)
				return
			}
			data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxChunk))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if chunk.Hash(sha256.Sum256(data)) != h {
				http.Error(w, "body does not hash to the chunk name", http.StatusBadRequest)
				return
			}
			created, err := local.Put(h, data)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			if created {
				w.WriteHeader(http.StatusCreated)
			} else {
				w.WriteHeader(http.StatusOK)
			}
		case r.Method == http.MethodGet:
			serveGet(w, r, local, h, maxChunk)
		default:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

func serveGet(w http.ResponseWriter, r *http.Request, local *chunk.Store, h chunk.Hash, maxChunk int64) {
	if rg := r.Header.Get("Range"); rg != "" {
		var start, end int64
		if _, err := fmt.Sscanf(rg, "bytes=%d-%d", &start, &end); err != nil || start < 0 || end < start {
			http.Error(w, "bad range", http.StatusBadRequest)
			return
		}
		// No chunk is larger than maxChunk: a range past it reads
		// nothing more, so the buffer never exceeds it.
		if end-start+1 > maxChunk {
			end = start + maxChunk - 1
		}
		p := make([]byte, end-start+1)
		n, err := local.ReadAt(h, p, start)
		if err != nil && !errors.Is(err, io.EOF) {
			status := http.StatusInternalServerError
			if errors.Is(err, chunk.ErrNotFound) {
				status = http.StatusNotFound
			}
			http.Error(w, err.Error(), status)
			return
		}
		w.WriteHeader(http.StatusPartialContent)
		w.Write(p[:n])
		return
	}
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	data, err := local.GetInto(h, (*buf)[:0])
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, chunk.ErrNotFound) || errors.Is(err, chunk.ErrCorrupt) {
			status = http.StatusNotFound
		}
		http.Error(w, err.Error(), status)
		return
	}
	*buf = data
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.Write(data)
}
