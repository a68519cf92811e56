package config

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"
)

// logBackups is the number of rotated log files kept next to the current
// one, so that rotation bounds the disk the log uses (about
// (logBackups+1) × logging.max_size).
const logBackups = 5

// Logger returns the process logger the logging section describes: text or
// JSON lines at logging.level, written to logging.file (rotated at
// logging.max_size when logging.rotate is set) or to standard error. The
// caller closes the returned Closer at exit; for standard error it does
// nothing.
func (c *Config) Logger() (*slog.Logger, io.Closer, error) {
	l := &c.Logging
	level, err := parseLevel(l.Level)
	if err != nil {
		return nil, nil, fmt.Errorf("logging.level: %w", err)
	}

	var w io.WriteCloser = nopCloser{os.Stderr}
	if l.File != "" {
		// Open the file now, even when lumberjack will open it again on the
		// first write: a log that cannot be written must stop the start,
		// not vanish in slog's ignored write errors.
		if err := os.MkdirAll(filepath.Dir(l.File), 0o755); err != nil {
			return nil, nil, fmt.Errorf("logging.file: %w", err)
		}
		f, err := os.OpenFile(l.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("logging.file: %w", err)
		}
		w = f
		if l.Rotate {
			f.Close()
			w = &lumberjack.Logger{
				Filename:   l.File,
				MaxSize:    int((l.MaxSize + MiB - 1) / MiB), // lumberjack counts MiB
				MaxBackups: logBackups,
			}
		}
	}

	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if l.JSONFormat {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h), w, nil
}

// parseLevel parses logging.level, in any case.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not a level (accepted %s)", s, strings.Join(logLevels, ", "))
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
