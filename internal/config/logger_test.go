package config

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoggerFileJSON(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		c := Default()
		c.Logging.File = filepath.Join(t.TempDir(), "logs", "anode.log") // the directory is created
		c.Logging.JSONFormat = true
		c.Logging.Level = "WARN"
		c.Logging.Rotate = rotate
		log, closer, err := c.Logger()
		if err != nil {
			t.Fatal(err)
		}
		log.Info("dropped below the level")
		log.Warn("kept", "node", "anode-1")
		if err := closer.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(c.Logging.File)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) != 1 {
			t.Fatalf("rotate=%v: log has %d lines, want 1:\n%s", rotate, len(lines), data)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
			t.Fatalf("rotate=%v: log line %q is not JSON: %v", rotate, lines[0], err)
		}
		if rec["msg"] != "kept" || rec["node"] != "anode-1" || rec["level"] != "WARN" {
			t.Errorf("rotate=%v: log record = %v", rotate, rec)
		}
	}
}

func TestLoggerRotates(t *testing.T) {
	c := Default()
	dir := t.TempDir()
	c.Logging.File = filepath.Join(dir, "anode.log")
	c.Logging.MaxSize = 1 * MiB
	log, closer, err := c.Logger()
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	big := strings.Repeat("x", 64*1024)
	for i := 0; i < 20; i++ { // about 1.25 MiB of text
		log.Info("fill", "data", big)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 2 {
		t.Errorf("after writing more than logging.max_size, %s holds %d files, want a rotated backup too", dir, len(entries))
	}
}

func TestLoggerErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Logging.File = filepath.Join(notDir, "anode.log")
	if _, _, err := c.Logger(); err == nil || !strings.Contains(err.Error(), "logging.file") {
		t.Errorf("Logger() with a file under a regular file = %v, want a logging.file error", err)
	}
	c = Default()
	c.Logging.Level = "trace"
	if _, _, err := c.Logger(); err == nil || !strings.Contains(err.Error(), "logging.level") {
		t.Errorf("Logger() with level trace = %v, want a logging.level error", err)
	}
}

func TestLoggerStderr(t *testing.T) {
	log, closer, err := Default().Logger()
	if err != nil {
		t.Fatal(err)
	}
	if log.Enabled(t.Context(), slog.LevelDebug) || !log.Enabled(t.Context(), slog.LevelInfo) {
		t.Error("default logger level is not info")
	}
	if err := closer.Close(); err != nil {
		t.Errorf("closing the stderr logger: %v", err)
	}
}
