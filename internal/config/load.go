package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Environment variables that are not keys.
const (
	envConfig       = "ANODE_CONFIG"
	envRootUser     = "ANODE_ROOT_USER"
	envRootPassword = "ANODE_ROOT_PASSWORD"
	// The root credentials before a rotation: IAM secret keys encrypted
	// under them stay readable (docs/security.md, Rotating).
	envRootPreviousUser     = "ANODE_ROOT_PREVIOUS_USER"
	envRootPreviousPassword = "ANODE_ROOT_PREVIOUS_PASSWORD"
	envKMSMasterKey         = "ANODE_KMS_MASTER_KEY"
)

// Load builds the configuration of `anode server`: defaults, then the file
// named by --config (or ANODE_CONFIG), then the ANODE_* variables of
// environ, then the flags in args (the arguments after "server"); and
// validates the result. environ is in the form of os.Environ(): the whole
// environment is needed, not a getenv function, so that misspelt ANODE_*
// variables can be refused.
//
// With -h or --help, Load prints the usage to standard error and returns
// flag.ErrHelp.
func Load(args []string, environ []string) (*Config, error) {
	cl, err := parseFlags(args)
	if err != nil {
		return nil, err
	}
	env, err := anodeEnv(environ)
	if err != nil {
		return nil, err
	}

	c := Default()
	// sources records who set each key, so that a bad value names its origin.
	sources := map[string]string{}

	path := cl.configPath
	if path == "" {
		path = env[envConfig]
	}
	if path != "" {
		if err := c.loadFile(path, sources); err != nil {
			return nil, err
		}
	}
	if err := c.applyEnv(env, sources); err != nil {
		return nil, err
	}
	for _, s := range cl.sets {
		if err := c.set(s.key, s.value); err != nil {
			return nil, fmt.Errorf("flag -%s: %w", s.flag, err)
		}
		sources[s.key] = "flag -" + s.flag
	}
	if err := c.validate(sources); err != nil {
		return nil, err
	}
	return c, nil
}

// loadFile decodes the TOML file at path over c. Keys the file does not name
// keep their value; unknown keys are refused.
func (c *Config) loadFile(path string, sources map[string]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fileError(path, err)
	}

	// Decode succeeded, so the document is a table of known sections.
	var doc map[string]map[string]any
	if err := toml.Unmarshal(data, &doc); err == nil {
		for sec, kv := range doc {
			for k := range kv {
				sources[sec+"."+k] = "file " + path
			}
		}
	}
	return nil
}

// fileError turns a go-toml error into one that names the file, the line and
// the key, such as: config /etc/anode.toml: unknown key "storage.chunk_sz".
func fileError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, len(strict.Errors))
		for i, e := range strict.Errors {
			line, _ := e.Position()
			errs[i] = fmt.Errorf("config %s: unknown key %q (line %d)", path, strings.Join(e.Key(), "."), line)
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if k := de.Key(); len(k) > 0 {
			return fmt.Errorf("config %s: %s: %s (line %d)", path, strings.Join(k, "."), msg, line)
		}
		return fmt.Errorf("config %s: line %d, column %d: %s", path, line, col, msg)
	}
	return fmt.Errorf("config %s: %w", path, err)
}

// anodeEnv returns the ANODE_* variables of environ and refuses those that
// name no key. Empty variables count as unset, as with os.Getenv.
func anodeEnv(environ []string) (map[string]string, error) {
	env := map[string]string{}
	var errs []error
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "ANODE_") {
			continue
		}
		switch name {
		case envConfig, envRootUser, envRootPassword, envRootPreviousUser, envRootPreviousPassword, envKMSMasterKey:
		default:
			if _, ok := keysByEnv[name]; !ok {
				errs = append(errs, fmt.Errorf("environment: unknown variable %s (see docs/configuration.md for the ANODE_* names)", name))
				continue
			}
		}
		if value != "" {
			env[name] = value
		}
	}
	return env, errors.Join(errs...)
}

// applyEnv applies the variables returned by anodeEnv, including the root
// credentials.
func (c *Config) applyEnv(env map[string]string, sources map[string]string) error {
	names := make([]string, 0, len(env))
	for name := range env {
		names = append(names, name)
	}
	sort.Strings(names) // the same environment always gives the same error
	for _, name := range names {
		value := env[name]
		k, ok := keysByEnv[name]
		if !ok {
			continue // ANODE_CONFIG and the credentials
		}
		if err := c.set(k.name, value); err != nil {
			return fmt.Errorf("environment %s: %w", name, err)
		}
		sources[k.name] = "environment " + name
	}

	c.KMSMasterKey = env[envKMSMasterKey]
	user, password := env[envRootUser], env[envRootPassword]
	switch {
	case user == "" && password == "":
		c.RootUser, c.RootPassword, c.DefaultCredentials = defaultRootUser, defaultRootPassword, true
	case user == "" || password == "":
		return fmt.Errorf("environment: %s and %s must be set together", envRootUser, envRootPassword)
	default:
		c.RootUser, c.RootPassword, c.DefaultCredentials = user, password, false
	}
	c.RootPreviousUser, c.RootPreviousPassword = env[envRootPreviousUser], env[envRootPreviousPassword]
	if (c.RootPreviousUser == "") != (c.RootPreviousPassword == "") {
		return fmt.Errorf("environment: %s and %s must be set together", envRootPreviousUser, envRootPreviousPassword)
	}
	return nil
}
