package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/anode/anode/internal/audit"
	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// The identity API: users, access keys, groups, policies, and the seed's
// /admin/credentials. Its routes are registered through Config.Routes, so
// every request must be signed (AWS Signature V4) with the root
// credentials like the rest of the signed admin API; anything else is
// refused (401/403). A browser cannot forge such a request from another
// site (it cannot compute the signature), which is also what makes the
// API safe against cross-site request forgery. Every request, refused ones
// included, is written to the audit log.
//
//	POST   /admin/users                          {"name", "policies"}
//	GET    /admin/users
//	GET    /admin/users/{name}
//	DELETE /admin/users/{name}                   (and its keys)
//	POST   /admin/users/{name}/disable | enable
//	PUT    /admin/users/{name}/policies/{policy} attach; DELETE detaches
//	POST   /admin/users/{name}/keys              {"description", "expires"} → the key and its secret
//	GET    /admin/users/{name}/keys
//	GET    /admin/keys
//	GET    /admin/keys/{access_key}
//	DELETE /admin/keys/{access_key}
//	POST   /admin/keys/{access_key}/rotate       → the new key and secret; the old one is gone
//	POST   /admin/keys/{access_key}/disable | enable
//	POST   /admin/keys/reencrypt                 after a root credential rotation
//	POST   /admin/groups                         {"name", "policies"}
//	GET    /admin/groups
//	GET    /admin/groups/{name}
//	DELETE /admin/groups/{name}
//	PUT    /admin/groups/{name}/members/{user}   add; DELETE removes
//	PUT    /admin/groups/{name}/policies/{policy} attach; DELETE detaches
//	GET    /admin/policies                       built-in and stored
//	PUT    /admin/policies/{name}                body: the policy document
//	GET    /admin/policies/{name}
//	DELETE /admin/policies/{name}
//	POST   /admin/credentials                    {"permissions": ["read","write"], "buckets", "description", "expires"}
//	DELETE /admin/credentials/{access_key}

const maxAdminBody = 64 << 10

// MergeRoutes joins route maps for Config.Routes; a pattern given twice
// is a programming error and panics.
func MergeRoutes(ms ...map[string]http.Handler) map[string]http.Handler {
	out := map[string]http.Handler{}
	for _, m := range ms {
		for p, h := range m {
			if _, dup := out[p]; dup {
				panic("admin: route " + p + " registered twice")
			}
			out[p] = h
		}
	}
	return out
}

// IAMRoutes returns the identity API's handlers, for Config.Routes (which
// authenticates them).
func IAMRoutes(s *iam.Store) map[string]http.Handler {
	routes := map[string]http.Handler{}
	h := func(pattern string, fn func(r *http.Request, body []byte) (int, any, error)) {
		routes[pattern] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveIAM(w, r, fn) })
	}
	h("POST /admin/users", func(r *http.Request, body []byte) (int, any, error) {
		var in struct {
			Name     string   `json:"name"`
			Policies []string `json:"policies"`
		}
		if err := decode(body, &in); err != nil {
			return 0, nil, err
		}
		u, err := s.CreateUser(r.Context(), in.Name, in.Policies)
		return http.StatusCreated, userOut(u), err
	})
	h("GET /admin/users", func(r *http.Request, _ []byte) (int, any, error) {
		us, err := s.Users(r.Context())
		out := []userJSON{}
		for i := range us {
			out = append(out, userOut(&us[i]))
		}
		return http.StatusOK, out, err
	})
	h("GET /admin/users/{name}", func(r *http.Request, _ []byte) (int, any, error) {
		u, err := s.User(r.Context(), r.PathValue("name"))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, userOut(u), nil
	})
	h("DELETE /admin/users/{name}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.DeleteUser(r.Context(), r.PathValue("name"))
	})
	h("POST /admin/users/{name}/disable", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.SetUserDisabled(r.Context(), r.PathValue("name"), true)
	})
	h("POST /admin/users/{name}/enable", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.SetUserDisabled(r.Context(), r.PathValue("name"), false)
	})
	h("PUT /admin/users/{name}/policies/{policy}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.AttachUserPolicy(r.Context(), r.PathValue("name"), r.PathValue("policy"), true)
	})
	h("DELETE /admin/users/{name}/policies/{policy}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.AttachUserPolicy(r.Context(), r.PathValue("name"), r.PathValue("policy"), false)
	})
	h("POST /admin/users/{name}/keys", func(r *http.Request, body []byte) (int, any, error) {
		opts, err := keyOptions(body)
		if err != nil {
			return 0, nil, err
		}
		k, err := s.CreateKey(r.Context(), r.PathValue("name"), opts)
		return http.StatusCreated, k, err
	})
	h("GET /admin/users/{name}/keys", func(r *http.Request, _ []byte) (int, any, error) {
		ks, err := s.Keys(r.Context(), r.PathValue("name"))
		return http.StatusOK, ks, err
	})
	h("GET /admin/keys", func(r *http.Request, _ []byte) (int, any, error) {
		ks, err := s.Keys(r.Context(), "")
		return http.StatusOK, ks, err
	})
	h("POST /admin/keys/reencrypt", func(r *http.Request, _ []byte) (int, any, error) {
		res, err := s.ReencryptKeys(r.Context())
		return http.StatusOK, res, err
	})
	h("GET /admin/keys/{key}", func(r *http.Request, _ []byte) (int, any, error) {
		k, err := s.Key(r.Context(), r.PathValue("key"))
		return http.StatusOK, k, err
	})
	h("DELETE /admin/keys/{key}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.DeleteKey(r.Context(), r.PathValue("key"))
	})
	h("POST /admin/keys/{key}/rotate", func(r *http.Request, _ []byte) (int, any, error) {
		k, err := s.RotateKey(r.Context(), r.PathValue("key"))
		return http.StatusCreated, k, err
	})
	h("POST /admin/keys/{key}/disable", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.SetKeyDisabled(r.Context(), r.PathValue("key"), true)
	})
	h("POST /admin/keys/{key}/enable", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.SetKeyDisabled(r.Context(), r.PathValue("key"), false)
	})
	h("POST /admin/groups", func(r *http.Request, body []byte) (int, any, error) {
		var in struct {
			Name     string   `json:"name"`
			Policies []string `json:"policies"`
		}
		if err := decode(body, &in); err != nil {
			return 0, nil, err
		}
		g, err := s.CreateGroup(r.Context(), in.Name, in.Policies)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, groupOut(&iam.GroupInfo{Group: *g, Members: []string{}}), nil
	})
	h("GET /admin/groups", func(r *http.Request, _ []byte) (int, any, error) {
		gs, err := s.Groups(r.Context())
		out := []groupJSON{}
		for i := range gs {
			out = append(out, groupOut(&gs[i]))
		}
		return http.StatusOK, out, err
	})
	h("GET /admin/groups/{name}", func(r *http.Request, _ []byte) (int, any, error) {
		g, err := s.Group(r.Context(), r.PathValue("name"))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, groupOut(g), nil
	})
	h("DELETE /admin/groups/{name}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.DeleteGroup(r.Context(), r.PathValue("name"))
	})
	h("PUT /admin/groups/{name}/members/{user}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.SetMember(r.Context(), r.PathValue("name"), r.PathValue("user"), true)
	})
	h("DELETE /admin/groups/{name}/members/{user}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.SetMember(r.Context(), r.PathValue("name"), r.PathValue("user"), false)
	})
	h("PUT /admin/groups/{name}/policies/{policy}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.AttachGroupPolicy(r.Context(), r.PathValue("name"), r.PathValue("policy"), true)
	})
	h("DELETE /admin/groups/{name}/policies/{policy}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.AttachGroupPolicy(r.Context(), r.PathValue("name"), r.PathValue("policy"), false)
	})
	h("GET /admin/policies", func(r *http.Request, _ []byte) (int, any, error) {
		ps, err := s.Policies(r.Context())
		out := []policyJSON{}
		for _, n := range []string{"readonly", "readwrite", "writeonly"} {
			p, _ := iam.Builtin(n)
			out = append(out, policyJSON{Name: n, Builtin: true, Document: policyDoc(p)})
		}
		for _, p := range ps {
			out = append(out, policyJSON{Name: p.Name, Document: p.Document})
		}
		return http.StatusOK, out, err
	})
	h("PUT /admin/policies/{name}", func(r *http.Request, body []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.PutPolicy(r.Context(), r.PathValue("name"), body)
	})
	h("GET /admin/policies/{name}", func(r *http.Request, _ []byte) (int, any, error) {
		name := r.PathValue("name")
		if iam.IsBuiltin(name) {
			p, err := iam.Builtin(name)
			if err != nil {
				return 0, nil, iam.ErrNoSuchPolicy
			}
			return http.StatusOK, policyJSON{Name: name, Builtin: true, Document: policyDoc(p)}, nil
		}
		p, err := s.StoredPolicy(r.Context(), name)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, policyJSON{Name: p.Name, Document: p.Document}, nil
	})
	h("DELETE /admin/policies/{name}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.DeletePolicy(r.Context(), r.PathValue("name"))
	})
	h("POST /admin/credentials", func(r *http.Request, body []byte) (int, any, error) {
		var in struct {
			Permissions []string  `json:"permissions"`
			Buckets     []string  `json:"buckets"`
			Description string    `json:"description"`
			Expires     time.Time `json:"expires"`
		}
		if err := decode(body, &in); err != nil {
			return 0, nil, err
		}
		k, err := s.CreateCredential(r.Context(), in.Permissions, in.Buckets, iam.KeyOptions{Description: in.Description, Expires: in.Expires})
		return http.StatusCreated, k, err
	})
	h("DELETE /admin/credentials/{key}", func(r *http.Request, _ []byte) (int, any, error) {
		return http.StatusNoContent, nil, s.DeleteCredential(r.Context(), r.PathValue("key"))
	})
	return routes
}

// serveIAM reads an authenticated request's (bounded) body, runs fn and
// writes its JSON answer.
func serveIAM(w http.ResponseWriter, r *http.Request, fn func(*http.Request, []byte) (int, any, error)) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	r = r.WithContext(ctx)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err == nil && len(body) > maxAdminBody {
		err = errBadRequest("request body larger than 64 KiB")
	}
	if ai := auditInfoOf(ctx); ai != nil {
		ai.bytesIn = int64(len(body))
	}
	if err != nil {
		writeJSONError(w, r, err)
		return
	}
	code, out, err := fn(r, body)
	if err != nil {
		writeJSONError(w, r, err)
		return
	}
	if out == nil || code == http.StatusNoContent {
		w.WriteHeader(code)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

type badRequest string

func (e badRequest) Error() string { return string(e) }

func errBadRequest(msg string) error { return badRequest(msg) }

// decode decodes a JSON request body, refusing unknown fields.
func decode(body []byte, v any) error {
	if len(body) == 0 {
		return errBadRequest("a JSON request body is required")
	}
	if err := strictJSON(body, v); err != nil {
		return errBadRequest("invalid JSON body: " + err.Error())
	}
	return nil
}

func strictJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func keyOptions(body []byte) (iam.KeyOptions, error) {
	var in struct {
		Description string    `json:"description"`
		Expires     time.Time `json:"expires"`
	}
	if len(body) > 0 {
		if err := decode(body, &in); err != nil {
			return iam.KeyOptions{}, err
		}
	}
	return iam.KeyOptions{Description: in.Description, Expires: in.Expires}, nil
}

// writeJSONError answers err with its status and {"code", "error"}, and
// notes the error for the audit log.
func writeJSONError(w http.ResponseWriter, r *http.Request, err error) int {
	if ai := auditInfoOf(r.Context()); ai != nil {
		ai.err = err.Error()
	}
	status, code := http.StatusInternalServerError, "InternalError"
	var s3e *s3err.Error
	var pe *iam.ParseError
	var br badRequest
	switch {
	case errors.As(err, &s3e):
		status, code = s3e.Status, s3e.Code
	case errors.As(err, &pe):
		status, code = http.StatusBadRequest, "MalformedPolicyDocument"
	case errors.As(err, &br), errors.Is(err, iam.ErrInvalidName), errors.Is(err, iam.ErrBuiltinPolicy):
		status, code = http.StatusBadRequest, "InvalidInput"
	case errors.Is(err, meta.ErrIAMExists):
		status, code = http.StatusConflict, "EntityAlreadyExists"
	case errors.Is(err, meta.ErrIAMNotFound), errors.Is(err, iam.ErrNoSuchPolicy):
		status, code = http.StatusNotFound, "NoSuchEntity"
	case errors.Is(err, meta.ErrIAMInUse):
		status, code = http.StatusConflict, "DeleteConflict"
	case errors.Is(err, meta.ErrIAMChanged):
		status, code = http.StatusConflict, "ConcurrentModification"
	case errors.Is(err, meta.ErrIAMLimit), errors.Is(err, iam.ErrLimit):
		status, code = http.StatusConflict, "LimitExceeded"
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		msg = "internal error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "error": msg})
	return status
}

type userJSON struct {
	Name        string    `json:"name"`
	ARN         string    `json:"arn"`
	CanonicalID string    `json:"canonical_id"`
	Created     time.Time `json:"created"`
	Disabled    bool      `json:"disabled"`
	Policies    []string  `json:"policies"`
	Groups      []string  `json:"groups"`
}

func userOut(u *meta.User) userJSON {
	if u == nil {
		return userJSON{}
	}
	id := iam.Identity{User: u.Name}
	out := userJSON{Name: u.Name, ARN: id.ARN(), CanonicalID: id.CanonicalID(), Created: time.Unix(0, u.Created).UTC(),
		Disabled: u.Disabled, Policies: u.Policies, Groups: u.Groups}
	if out.Policies == nil {
		out.Policies = []string{}
	}
	if out.Groups == nil {
		out.Groups = []string{}
	}
	return out
}

type groupJSON struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Policies []string  `json:"policies"`
	Members  []string  `json:"members"`
}

func groupOut(g *iam.GroupInfo) groupJSON {
	out := groupJSON{Name: g.Name, Created: time.Unix(0, g.Created).UTC(), Policies: g.Policies, Members: g.Members}
	if out.Policies == nil {
		out.Policies = []string{}
	}
	return out
}

type policyJSON struct {
	Name     string          `json:"name"`
	Builtin  bool            `json:"builtin,omitempty"`
	Document json.RawMessage `json:"document"`
}

// policyDoc renders a built-in policy as a document.
func policyDoc(p *iam.Policy) json.RawMessage {
	type stmt struct {
		Sid      string
		Effect   string
		Action   []string
		Resource []string
	}
	doc := struct {
		Version   string
		Statement []stmt
	}{Version: p.Version}
	for _, s := range p.Statements {
		doc.Statement = append(doc.Statement, stmt{s.Sid, s.Effect.String(), s.Action, s.Resource})
	}
	b, _ := json.Marshal(doc)
	return b
}

// auditInfo collects, for the audit log, what the inner handlers learn
// about a request (who signed it, its body size, its error).
type auditInfo struct {
	accessKey  string
	authorized bool // the access key may use the admin API (root)
	bytesIn    int64
	err        string
}

type auditInfoCtx struct{}

func auditInfoOf(ctx context.Context) *auditInfo {
	ai, _ := ctx.Value(auditInfoCtx{}).(*auditInfo)
	return ai
}

// audited wraps a signed admin handler (authentication included) so that
// every call, refused or not, is written to the audit log.
func audited(log *audit.Logger, op string, h http.Handler) http.Handler {
	if log == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ai := &auditInfo{}
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), auditInfoCtx{}, ai)))
		e := audit.Entry{Time: start.UTC(), Kind: "admin", Operation: op, Path: r.URL.Path,
			SourceIP: remoteIP(r), UserAgent: r.UserAgent(), AccessKey: ai.accessKey, Status: rw.status,
			Error: ai.err, BytesIn: ai.bytesIn, BytesOut: rw.n, DurationMS: float64(time.Since(start).Microseconds()) / 1000}
		if ai.authorized {
			e.Principal, e.Decision = "root", "root"
		}
		log.Log(e)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController (pprof's profile deadline) reach
// the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
