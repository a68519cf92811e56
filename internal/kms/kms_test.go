package kms

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// memStore keeps key records in memory with the system group's
// compare-and-set rule (meta.StateMachine.putKMSKey).
type memStore struct {
	mu   sync.Mutex
	keys map[string]meta.KMSKey
}

func (m *memStore) KMSKey(_ context.Context, id string) (*meta.KMSKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	if !ok {
		return nil, nil
	}
	return &k, nil
}

func (m *memStore) KMSKeys(context.Context) ([]meta.KMSKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []meta.KMSKey
	for _, k := range m.keys {
		out = append(out, k)
	}
	return out, nil
}

func (m *memStore) PutKMSKey(_ context.Context, rec *meta.KMSKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, found := m.keys[rec.ID]
	if (!found && rec.Rev != 0) || (found && cur.Rev+1 != rec.Rev) {
		return meta.ErrKMSKeyChanged
	}
	m.keys[rec.ID] = *rec
	return nil
}

func newService(t *testing.T, store *memStore, master byte) *Service {
	t.Helper()
	s, err := New(store, bytes.Repeat([]byte{master}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDataKeys(t *testing.T) {
	ctx := context.Background()
	store := &memStore{keys: map[string]meta.KMSKey{}}
	s := newService(t, store, 1)
	if _, err := s.CreateKey(ctx, "app", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateKey(ctx, "app", ""); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("second create: %v", err)
	}
	if _, err := s.CreateKey(ctx, "a/b", ""); !errors.Is(err, ErrBadKeyName) {
		t.Fatalf("bad name: %v", err)
	}
	dk, err := s.NewDataKey(ctx, "app", []byte("ctx"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.OpenDataKey(ctx, "app", dk.KeyVersion, dk.Sealed, []byte("ctx"))
	if err != nil || !bytes.Equal(got.Plain, dk.Plain) || !bytes.Equal(got.Dedup, dk.Dedup) {
		t.Fatalf("open: %v", err)
	}
	if _, err := s.OpenDataKey(ctx, "app", dk.KeyVersion, dk.Sealed, []byte("other")); err == nil {
		t.Fatal("a data key opened with another encryption context")
	}
	// Rotation: new data keys use version 2, old ones still open, the
	// dedup secret is kept.
	if info, err := s.RotateKey(ctx, "app"); err != nil || info.Versions != 2 {
		t.Fatalf("rotate: %v %+v", err, info)
	}
	dk2, err := s.NewDataKey(ctx, "app", nil)
	if err != nil || dk2.KeyVersion != 2 || !bytes.Equal(dk2.Dedup, dk.Dedup) {
		t.Fatalf("after rotation: %v %+v", err, dk2)
	}
	if _, err := s.OpenDataKey(ctx, "app", 1, dk.Sealed, []byte("ctx")); err != nil {
		t.Fatalf("old data key after rotation: %v", err)
	}
	// Disabled: refused both ways.
	if _, err := s.SetEnabled(ctx, "app", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewDataKey(ctx, "app", nil); !errors.Is(err, s3err.KMSDisabled) {
		t.Fatalf("new data key under a disabled key: %v", err)
	}
	if _, err := s.OpenDataKey(ctx, "app", 1, dk.Sealed, []byte("ctx")); !errors.Is(err, s3err.KMSDisabled) {
		t.Fatalf("open under a disabled key: %v", err)
	}
	// Built-in keys appear on first use; unknown keys do not.
	if _, err := s.NewDataKey(ctx, SSES3Key, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewDataKey(ctx, "nope", nil); !errors.Is(err, s3err.KMSNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	// Another master key opens nothing.
	other := newService(t, store, 2)
	if _, err := other.NewDataKey(ctx, SSES3Key, nil); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("another master key: %v", err)
	}
	// No master key: the error names the settings.
	none, _ := New(store, nil)
	if _, err := none.NewDataKey(ctx, SSES3Key, nil); !errors.Is(err, s3err.NoMasterKey) || !strings.Contains(err.Error(), "kms.master_key_file") {
		t.Fatalf("no master key: %v", err)
	}
}

func TestNormalizeKeyID(t *testing.T) {
	for in, want := range map[string]string{
		"app": "app", "arn:aws:kms:us-east-1:123:key/app": "app", "alias/aws/s3": DefaultKMSKey,
		"arn:aws:kms:us-east-1:123:alias/aws/s3": DefaultKMSKey,
	} {
		if got := NormalizeKeyID(in); got != want {
			t.Errorf("NormalizeKeyID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadMasterKey(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o755)
	write := func(path, content string, mode os.FileMode) string {
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, mode)
		return path
	}
	if k, err := LoadMasterKey(good, "", data); err != nil || len(k) != 32 {
		t.Fatalf("env: %v", err)
	}
	if k, err := LoadMasterKey("", "", data); err != nil || k != nil {
		t.Fatalf("none: %v %v", k, err)
	}
	okFile := write(filepath.Join(dir, "master.key"), good+"\n", 0o600)
	if k, err := LoadMasterKey("", okFile, data); err != nil || len(k) != 32 {
		t.Fatalf("file: %v", err)
	}
	os.Symlink(data, filepath.Join(dir, "link"))
	bad := map[string]struct{ env, file string }{
		"both":           {good, okFile},
		"not base64":     {"!!!", ""},
		"short":          {base64.StdEncoding.EncodeToString([]byte("short")), ""},
		"inside data":    {"", write(filepath.Join(data, "master.key"), good, 0o600)},
		"via a symlink":  {"", filepath.Join(dir, "link", "master.key")},
		"world-readable": {"", write(filepath.Join(dir, "open.key"), good, 0o644)},
		"missing":        {"", filepath.Join(dir, "absent.key")},
	}
	for name, c := range bad {
		if _, err := LoadMasterKey(c.env, c.file, data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
