package config

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// A key is one configuration setting, found by its file name
// ("storage.data_dir") or its environment name (ANODE_STORAGE_DATA_DIR).
// The list is derived from the toml tags of Config, so the file, the
// environment and --set can never disagree about which keys exist.
type key struct {
	name  string // section.key
	env   string // ANODE_SECTION_KEY
	index []int  // field path in Config
}

var (
	keysByName = map[string]key{}
	keysByEnv  = map[string]key{}
)

func init() {
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		sec := t.Field(i)
		secName := sec.Tag.Get("toml")
		if secName == "" || secName == "-" {
			continue
		}
		for j := 0; j < sec.Type.NumField(); j++ {
			f := sec.Type.Field(j)
			name := f.Tag.Get("toml")
			k := key{
				name:  secName + "." + name,
				env:   "ANODE_" + strings.ToUpper(secName+"_"+name),
				index: []int{i, j},
			}
			keysByName[k.name] = k
			keysByEnv[k.env] = k
		}
	}
}

// Keys returns the name of every configuration key, sorted.
func Keys() []string {
	names := make([]string, 0, len(keysByName))
	for name := range keysByName {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// set parses value as the environment and flags spell it and stores it in
// the key called name. Lists are comma-separated.
func (c *Config) set(name, value string) error {
	k, ok := keysByName[name]
	if !ok {
		return fmt.Errorf("unknown key %q", name)
	}
	if err := setValue(reflect.ValueOf(c).Elem().FieldByIndex(k.index), value); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func setValue(v reflect.Value, value string) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(value))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(value)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(value))
		if err != nil {
			return fmt.Errorf("invalid boolean %q (use true or false)", value)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid integer %q", value)
		}
		v.SetInt(n)
	case reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return fmt.Errorf("invalid non-negative integer %q", value)
		}
		v.SetUint(n)
	case reflect.Slice: // []string
		var list []string
		for _, s := range strings.Split(value, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		v.Set(reflect.ValueOf(list))
	default:
		// Only reachable if a field of an unsupported type is added to Config;
		// TestEveryKeySettable catches that.
		return fmt.Errorf("cannot be set from text (type %s)", v.Type())
	}
	return nil
}
