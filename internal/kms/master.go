package kms

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvMasterKey is the environment variable that holds the master key:
// 32 random bytes in base64 (head -c 32 /dev/urandom | base64).
const EnvMasterKey = "ANODE_KMS_MASTER_KEY"

// LoadMasterKey returns the master key from the environment value or the
// key file (at most one may be set), or nil when neither is. The key file
// holds the same base64 text; it must not be readable by group or others,
// and must not lie inside the data directory, which holds everything the
// key protects.
func LoadMasterKey(envValue, file, dataDir string) ([]byte, error) {
	switch {
	case envValue != "" && file != "":
		return nil, fmt.Errorf("kms: set %s or kms.master_key_file, not both", EnvMasterKey)
	case envValue != "":
		k, err := decodeMasterKey(envValue)
		if err != nil {
			return nil, fmt.Errorf("kms: %s: %w", EnvMasterKey, err)
		}
		return k, nil
	case file == "":
		return nil, nil
	}
	inside, err := within(file, dataDir)
	if err != nil {
		return nil, fmt.Errorf("kms: kms.master_key_file: %w", err)
	}
	if inside {
		return nil, fmt.Errorf("kms: kms.master_key_file %s is inside the data directory %s; keep the key apart from the data it protects", file, dataDir)
	}
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("kms: kms.master_key_file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("kms: kms.master_key_file %s is readable by group or others (mode %v); chmod 600 it", file, st.Mode().Perm())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("kms: kms.master_key_file: %w", err)
	}
	k, err := decodeMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("kms: kms.master_key_file %s: %w", file, err)
	}
	return k, nil
}

func decodeMasterKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("not base64 (make one with: head -c 32 /dev/urandom | base64)")
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("decodes to %d bytes, want %d (make one with: head -c 32 /dev/urandom | base64)", len(k), KeySize)
	}
	return k, nil
}

// within reports whether path is dir or below it, after resolving
// symbolic links of both where they exist.
func within(path, dir string) (bool, error) {
	if dir == "" {
		return false, nil
	}
	p, err := resolve(path)
	if err != nil {
		return false, err
	}
	d, err := resolve(dir)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(d, p)
	if err != nil {
		return false, nil
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))), nil
}

func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	return abs, nil
}
