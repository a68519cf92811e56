package admin

import (
	"context"
	"net/http"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// Snapshotter takes, lists and deletes bucket snapshots
// (object.Service).
type Snapshotter interface {
	CreateSnapshot(ctx context.Context, bucket, name string) (object.SnapshotInfo, error)
	ListSnapshots(ctx context.Context, bucket string) ([]object.SnapshotInfo, error)
	DeleteSnapshot(ctx context.Context, bucket, name string) error
	RestoreSnapshot(ctx context.Context, bucket, name, prefix, target string) (object.RestoreResult, error)
	SnapshotUsage(ctx context.Context, bucket, name string) (meta.SnapshotUsage, error)
}

// SnapshotRoutes are the bucket snapshots' admin endpoints, for
// Config.Routes (which admits only requests signed with the root
// credentials):
//
//	POST   /snapshots?bucket=B[&name=N]   take a snapshot (JSON answer)
//	GET    /snapshots[?bucket=B]          list snapshots (JSON)
//	DELETE /snapshots?bucket=B&name=N     delete one
//	GET    /snapshots/usage?bucket=B&name=N  objects and logical bytes it shows,
//	                                      and the bytes only it keeps (JSON)
//	POST   /snapshots/restore?bucket=B&name=N[&prefix=P][&target=T]
//	                                      copy the snapshot's objects (under P)
//	                                      by reference into T (default B) as
//	                                      new current versions (JSON report)
func SnapshotRoutes(svc Snapshotter) map[string]http.Handler {
	return map[string]http.Handler{
		"POST /snapshots": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("bucket") == "" {
				http.Error(w, "bucket is required", http.StatusBadRequest)
				return
			}
			info, err := svc.CreateSnapshot(r.Context(), q.Get("bucket"), q.Get("name"))
			if err != nil {
				snapshotError(w, err)
				return
			}
			writeJSON(w, http.StatusCreated, info)
		}),
		"GET /snapshots": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			list, err := svc.ListSnapshots(r.Context(), r.URL.Query().Get("bucket"))
			if err != nil {
				snapshotError(w, err)
				return
			}
			if list == nil {
				list = []object.SnapshotInfo{}
			}
			writeJSON(w, http.StatusOK, map[string]any{"snapshots": list})
		}),
		"POST /snapshots/restore": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("bucket") == "" || q.Get("name") == "" {
				http.Error(w, "bucket and name are required", http.StatusBadRequest)
				return
			}
			res, err := svc.RestoreSnapshot(r.Context(), q.Get("bucket"), q.Get("name"), q.Get("prefix"), q.Get("target"))
			if err != nil {
				// What was restored before the error is reported too.
				e := s3err.As(err)
				writeJSON(w, e.Status, map[string]any{"error": err.Error(), "restored": res.Restored, "failed": res.Failed})
				return
			}
			writeJSON(w, http.StatusOK, res)
		}),
		"GET /snapshots/usage": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("bucket") == "" || q.Get("name") == "" {
				http.Error(w, "bucket and name are required", http.StatusBadRequest)
				return
			}
			u, err := svc.SnapshotUsage(r.Context(), q.Get("bucket"), q.Get("name"))
			if err != nil {
				snapshotError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, u)
		}),
		"DELETE /snapshots": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("bucket") == "" || q.Get("name") == "" {
				http.Error(w, "bucket and name are required", http.StatusBadRequest)
				return
			}
			if err := svc.DeleteSnapshot(r.Context(), q.Get("bucket"), q.Get("name")); err != nil {
				snapshotError(w, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}),
	}
}

func snapshotError(w http.ResponseWriter, err error) {
	e := s3err.As(err)
	http.Error(w, e.Code+": "+err.Error(), e.Status)
}
