package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/anode/anode/internal/kms"
	"github.com/anode/anode/internal/s3err"
)

// KMSRoutes are the built-in KMS's admin endpoints, for Config.Routes
// (which admits only requests signed with the root credentials):
//
//	GET  /kms/keys                 list the keys (JSON)
//	POST /kms/keys                 create one: {"id": "...", "description": "..."}
//	POST /kms/rotate?id=ID         add a new backing key version and rewrap
//	                               every stored data key under it
//	POST /kms/disable?id=ID        refuse the key for encryption and decryption
//	POST /kms/enable?id=ID         allow it again
//
// Key material never leaves the server. rewrap, when set, rewraps the
// stored data keys of a key after rotation (object.Service.RewrapKey) and
// returns how many it rewrapped.
func KMSRoutes(svc *kms.Service, rewrap func(ctx context.Context, id string) (int, error)) map[string]http.Handler {
	routes := map[string]http.Handler{}
	handle := func(pattern string, h http.HandlerFunc) { routes[pattern] = h }
	handle("GET /kms/keys", func(w http.ResponseWriter, r *http.Request) {
		keys, err := svc.ListKeys(r.Context())
		if err != nil {
			kmsError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
	})
	handle("POST /kms/keys", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ID          string `json:"id"`
			Description string `json:"description"`
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<10))
		if err == nil {
			err = json.Unmarshal(body, &in)
		}
		if err != nil {
			http.Error(w, "body must be JSON {\"id\": ..., \"description\": ...}", http.StatusBadRequest)
			return
		}
		info, err := svc.CreateKey(r.Context(), in.ID, in.Description)
		if err != nil {
			kmsError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, info)
	})
	change := func(fn func(r *http.Request, id string) (kms.KeyInfo, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			info, err := fn(r, r.URL.Query().Get("id"))
			if err != nil {
				kmsError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, info)
		}
	}
	handle("POST /kms/rotate", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		info, err := svc.RotateKey(r.Context(), id)
		if err != nil {
			kmsError(w, err)
			return
		}
		n := 0
		if rewrap != nil {
			if n, err = rewrap(r.Context(), id); err != nil {
				kmsError(w, fmt.Errorf("rotated to version %d, but rewrapping the stored data keys failed (rotate again to resume): %w", info.Versions, err))
				return
			}
		}
		writeJSON(w, http.StatusOK, struct {
			kms.KeyInfo
			Rewrapped int `json:"rewrapped"`
		}{info, n})
	})
	handle("POST /kms/disable", change(func(r *http.Request, id string) (kms.KeyInfo, error) {
		return svc.SetEnabled(r.Context(), id, false)
	}))
	handle("POST /kms/enable", change(func(r *http.Request, id string) (kms.KeyInfo, error) {
		return svc.SetEnabled(r.Context(), id, true)
	}))
	return routes
}

func kmsError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, kms.ErrBadKeyName):
		status = http.StatusBadRequest
	case errors.Is(err, kms.ErrKeyExists):
		status = http.StatusConflict
	case errors.Is(err, kms.ErrNoSuchKey):
		status = http.StatusNotFound
	default:
		status = s3err.As(err).Status
	}
	http.Error(w, err.Error(), status)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
