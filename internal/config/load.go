package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// maxConfigBytes bounds config.json; a real one is a few KB.
const maxConfigBytes = 16 << 20

// Load builds the configuration: Default(), then the JSON file at path, then
// environment overrides read through getenv (pass os.Getenv; nil means no
// environment). Flags are applied afterwards by the caller, so the precedence
// for every key is flag > env > file > default, in both binaries.
//
// A missing file is not an error: the result has FileMissing set so the caller
// can log that defaults are used. An unreadable or unparseable file, a value of
// the wrong type, or a value that fails Validate returns an error that names
// the file and the key. Unknown keys only add to Warnings.
func Load(path string, getenv func(string) string) (*Config, error) {
	c := Default()
	c.Path = path
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if path != "" {
		if err := c.readFile(path); err != nil {
			return nil, err
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return nil, fmt.Errorf("config %s: %w", displayPath(path), err)
	}
	if c.ChannelKeysPath == "" {
		c.ChannelKeysPath = filepath.Join(filepath.Dir(path), "channel-rainbow.json")
	}
	c.normalise()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", displayPath(path), err)
	}
	return &c, nil
}

// FindServerFile returns the config file the server uses for -config-dir dir:
// <dir>/config.json, else <dir>/data/config.json when only that one exists.
// When neither exists it returns <dir>/config.json (Load then reports
// FileMissing).
func FindServerFile(dir string) string {
	primary := filepath.Join(dir, "config.json")
	if _, err := os.Stat(primary); err == nil {
		return primary
	}
	alt := filepath.Join(dir, "data", "config.json")
	if _, err := os.Stat(alt); err == nil {
		return alt
	}
	return primary
}

func displayPath(p string) string {
	if p == "" {
		return "(defaults)"
	}
	return p
}

func (c *Config) readFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		c.FileMissing = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return fmt.Errorf("config %s: read: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return fmt.Errorf("config %s: larger than %d bytes", path, maxConfigBytes)
	}
	// A UTF-8 byte order mark (Windows editors add one) is not JSON; it
	// carries no meaning in UTF-8, so it is dropped rather than refused.
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return fmt.Errorf("config %s: file is empty (delete it to use defaults)", path)
	}
	// json.Unmarshal accepts null (and leaves every default), and reports a
	// top-level array or string in type-error terms: say what is wrong.
	if trimmed[0] != '{' {
		what := string(trimmed[:min(len(trimmed), 20)])
		return fmt.Errorf("config %s: the file must hold a JSON object {...}, found %q (delete the file to use defaults)", path, what)
	}
	if err := json.Unmarshal(data, c); err != nil {
		return fmt.Errorf("config %s: %s", path, describeJSONError(data, err))
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(data, &raw) == nil {
		unknownKeys(raw, reflect.TypeOf(Config{}), "", &c.Warnings)
	}
	return nil
}

// describeJSONError turns encoding/json errors into operator language: the
// key and expected type, or the line and column of a syntax error.
func describeJSONError(data []byte, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		key := te.Field
		if key == "" {
			key = "(top level)"
		}
		line, col := lineCol(data, te.Offset)
		return fmt.Sprintf("key %q: got JSON %s, want %s (line %d, column %d)", key, te.Value, te.Type, line, col)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		return fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, se)
	}
	return fmt.Sprintf("invalid JSON: %v", err)
}

func lineCol(data []byte, offset int64) (int, int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col := 1, 1
	for _, b := range data[:offset] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// unknownKeys warns about keys the struct does not know (typos such as
// "retention.packetDay" silently keep a default otherwise). Maps and raw
// pass-through values are not checked; "_comment*" keys are ignored.
func unknownKeys(obj map[string]json.RawMessage, t reflect.Type, prefix string, warn *[]string) {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[strings.ToLower(name)] = f.Type
	}
	for k, v := range obj {
		if strings.HasPrefix(k, "_comment") {
			continue
		}
		// encoding/json matches keys case-insensitively; so do we.
		ft, ok := fields[strings.ToLower(k)]
		if !ok {
			*warn = append(*warn, fmt.Sprintf("unknown key %q ignored", prefix+k))
			continue
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			var sub map[string]json.RawMessage
			if json.Unmarshal(v, &sub) == nil {
				unknownKeys(sub, ft, prefix+k+".", warn)
			}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			var subs []map[string]json.RawMessage
			if json.Unmarshal(v, &subs) == nil {
				for i, sub := range subs {
					unknownKeys(sub, ft.Elem(), fmt.Sprintf("%s%s[%d].", prefix, k, i), warn)
				}
			}
		}
	}
}

// applyEnv applies environment overrides. Env beats the file in both binaries
// ([improve]: the original server let the file beat DB_PATH).
func (c *Config) applyEnv(getenv func(string) string) error {
	if v := strings.TrimSpace(getenv("DB_PATH")); v != "" {
		c.DBPath = v
	}
	if v := strings.TrimSpace(getenv("MQTT_BROKER")); v != "" {
		topic := strings.TrimSpace(getenv("MQTT_TOPIC"))
		if topic == "" {
			topic = DefaultTopic
		}
		// MQTT_BROKER replaces every configured source (OPERATIONS.md §2).
		c.Sources = []MQTTSource{{Name: "env", Broker: v, Topics: []string{topic}}}
		c.MQTT = nil
	}
	if v := strings.TrimSpace(getenv("CHANNEL_KEYS_PATH")); v != "" {
		c.ChannelKeysPath = v
	}
	if v := strings.TrimSpace(getenv("PORT")); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("env PORT=%q: not an integer", v)
		}
		c.Port = p
	}
	if v := getenv("API_KEY"); v != "" {
		c.APIKey = v
	}
	if v := strings.TrimSpace(getenv("LOG_LEVEL")); v != "" {
		c.LogLevel = v
	}
	if v := strings.TrimSpace(getenv("CORESCOPE_INGESTOR_STATS")); v != "" {
		c.IngestorStatsPath = v
	}
	if v := strings.TrimSpace(getenv("ENABLE_PPROF")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("env ENABLE_PPROF=%q: want true or false", v)
		}
		c.PprofEnabled = b
	}
	if v := strings.TrimSpace(getenv("PPROF_PORT")); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("env PPROF_PORT=%q: want a port 1-65535", v)
		}
		c.PprofPort = p
	}
	return nil
}

// normalise fixes values that the spec says fall back to defaults with a
// warning instead of stopping startup (UI display options).
func (c *Config) normalise() {
	def := Default().Timestamps
	fix := func(key string, v *string, dflt string, allowed ...string) {
		for _, a := range allowed {
			if *v == a {
				return
			}
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("timestamps.%s %q invalid, using %q", key, *v, dflt))
		*v = dflt
	}
	fix("defaultMode", &c.Timestamps.DefaultMode, def.DefaultMode, "ago", "absolute")
	fix("timezone", &c.Timestamps.Timezone, def.Timezone, "local", "utc")
	fix("formatPreset", &c.Timestamps.FormatPreset, def.FormatPreset, "iso", "iso-seconds", "locale")
	// A pass-through value written as null is the same as an absent one.
	for _, raw := range []*json.RawMessage{&c.CacheTTL, &c.Branding, &c.Theme, &c.ThemeDark, &c.NodeColors,
		&c.TypeColors, &c.Home, &c.Roles, &c.Tiles, &c.SNRThresholds, &c.DistThresholds, &c.Limits, &c.ExternalURLs} {
		if string(bytes.TrimSpace(*raw)) == "null" {
			*raw = nil
		}
	}
	c.LogLevel = strings.ToLower(strings.TrimSpace(c.LogLevel))
	c.ForeignAdverts.Mode = strings.ToLower(strings.TrimSpace(c.ForeignAdverts.Mode))
	if c.ForeignAdverts.Mode == "" {
		c.ForeignAdverts.Mode = "flag"
	}
}
