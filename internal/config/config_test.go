package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestZeroConfigWorks(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "missing.json"), nil)
	if err != nil {
		t.Fatalf("Load with missing file: %v", err)
	}
	if !c.FileMissing {
		t.Error("FileMissing not reported")
	}
	if c.DBPath != "data/meshcore.db" || c.Port != 3000 || !c.ValidateSignatures || c.Retention.NodeDays != 7 ||
		c.Retention.PacketDays != 0 || c.Metrics.SampleIntervalSec != 300 || c.Ingest.BatchSize != 1000 || c.Ingest.BatchDelayMs != 50 {
		t.Errorf("unexpected defaults: %s %+v %+v", c, c.Retention, c.Ingest)
	}
	src := c.MQTTSources()
	if len(src) != 1 || src[0].Broker != "tcp://localhost:1883" || !reflect.DeepEqual(src[0].Topics, []string{"meshcore/#"}) || src[0].Name != "local" {
		t.Errorf("default sources = %+v", src)
	}
	if err := func() error { d := Default(); return d.Validate() }(); err != nil {
		t.Errorf("Default() does not validate: %v", err)
	}
}

func TestPrecedenceEnvOverFileOverDefault(t *testing.T) {
	p := writeFile(t, `{"_comment": "doc", "dbPath": "file.db", "port": 8080, "apiKey": "from-file-0123456789",
		"retention": {"_comment_days": "x", "packetDays": 30}, "mqtt": {"broker": "mqtt://file:1883", "topic": "t/#"}}`)
	cases := []struct {
		name     string
		getenv   func(string) string
		wantDB   string
		wantPort int
		wantKey  string
		wantSrc  string
	}{
		{"file only", env(), "file.db", 8080, "from-file-0123456789", "mqtt://file:1883"},
		{"env wins", env("DB_PATH", "/env/x.db", "PORT", "9090", "API_KEY", "from-env-0123456789", "MQTT_BROKER", "tcp://env:1883"),
			"/env/x.db", 9090, "from-env-0123456789", "tcp://env:1883"},
		{"blank env ignored", env("DB_PATH", "  ", "PORT", ""), "file.db", 8080, "from-file-0123456789", "mqtt://file:1883"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(p, tc.getenv)
			if err != nil {
				t.Fatal(err)
			}
			src := c.MQTTSources()
			if c.DBPath != tc.wantDB || c.Port != tc.wantPort || c.APIKey != tc.wantKey || src[0].Broker != tc.wantSrc {
				t.Errorf("got db=%q port=%d key=%q broker=%q", c.DBPath, c.Port, c.APIKey, src[0].Broker)
			}
			if c.Retention.PacketDays != 30 || c.Retention.NodeDays != 7 {
				t.Errorf("nested default lost: %+v", c.Retention)
			}
			if len(c.Warnings) != 0 {
				t.Errorf("unexpected warnings %v", c.Warnings)
			}
		})
	}
}

func TestMQTTSourcesResolution(t *testing.T) {
	cases := []struct {
		name   string
		file   string
		getenv func(string) string
		want   []MQTTSource
	}{
		{"mqttSources", `{"mqttSources":[{"name":"a","broker":"mqtts://a:8883","topics":["x/#"],"iataFilter":["SJC"]},{"broker":"ws://b:9001"}]}`, nil,
			[]MQTTSource{{Name: "a", Broker: "mqtts://a:8883", Topics: []string{"x/#"}, IATAFilter: []string{"SJC"}, ConnectTimeoutSec: 30},
				{Name: "ws://b:9001", Broker: "ws://b:9001", Topics: []string{"meshcore/#"}, ConnectTimeoutSec: 30}}},
		{"legacy mqtt subscribes topic and meshcore/#", `{"mqtt":{"broker":"mqtt://old:1883","topic":"mesh/#"}}`, nil,
			[]MQTTSource{{Name: "default", Broker: "mqtt://old:1883", Topics: []string{"mesh/#", "meshcore/#"}, ConnectTimeoutSec: 30}}},
		{"legacy ignored when mqttSources set", `{"mqtt":{"broker":"mqtt://old:1883"},"mqttSources":[{"name":"n","broker":"tcp://new:1883"}]}`, nil,
			[]MQTTSource{{Name: "n", Broker: "tcp://new:1883", Topics: []string{"meshcore/#"}, ConnectTimeoutSec: 30}}},
		{"legacy empty broker falls through", `{"mqtt":{"broker":""}}`, nil,
			[]MQTTSource{{Name: "local", Broker: "tcp://localhost:1883", Topics: []string{"meshcore/#"}, ConnectTimeoutSec: 30}}},
		{"MQTT_BROKER replaces all", `{"mqttSources":[{"name":"a","broker":"tcp://a:1"}]}`, env("MQTT_BROKER", "tcp://e:1883", "MQTT_TOPIC", "e/#"),
			[]MQTTSource{{Name: "env", Broker: "tcp://e:1883", Topics: []string{"e/#"}, ConnectTimeoutSec: 30}}},
		{"embedded broker", `{"embeddedBroker":"0.0.0.0:18830"}`, nil,
			[]MQTTSource{{Name: "embedded", Broker: "tcp://127.0.0.1:18830", Topics: []string{"meshcore/#"}, ConnectTimeoutSec: 30}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(writeFile(t, tc.file), tc.getenv)
			if err != nil {
				t.Fatal(err)
			}
			got := c.MQTTSources()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			got[0].Topics[0] = "mutated" // the result is a copy
			if again := c.MQTTSources(); again[0].Topics[0] == "mutated" {
				t.Error("MQTTSources returned shared slices")
			}
		})
	}
}

func TestInvalidConfigNamesFileAndKey(t *testing.T) {
	cases := []struct {
		name, file string
		getenv     func(string) string
		want       []string
	}{
		{"syntax", "{\n  \"port\": 3000,\n  \"dbPath\": \n}", nil, []string{"line 4", "invalid JSON"}},
		{"wrong type", `{"retention": {"packetDays": "thirty"}}`, nil, []string{`"retention.packetDays"`, "string"}},
		{"empty file", "  \n", nil, []string{"empty"}},
		{"bad port", `{"port": 70000}`, nil, []string{"port: 70000"}},
		{"bad env port", `{}`, env("PORT", "http"), []string{"env PORT"}},
		{"bad broker", `{"mqttSources":[{"name":"x","broker":"http://x"}]}`, nil, []string{"mqttSources[0].broker", "scheme"}},
		{"duplicate source names", `{"mqttSources":[{"name":"x","broker":"tcp://a:1"},{"name":"x","broker":"tcp://b:1"}]}`, nil, []string{"mqttSources[1].name"}},
		{"bad channel key", `{"channelKeys":{"Secret":"zz"}}`, nil, []string{"channelKeys.Secret"}},
		{"bad foreign mode", `{"foreignAdverts":{"mode":"explode"}}`, nil, []string{"foreignAdverts.mode"}},
		{"bad geo polygon", `{"geo_filter":{"polygon":[[1,2],[3,4]]}}`, nil, []string{"geo_filter.polygon", "at least 3"}},
		{"half a bounding box", `{"areas":{"x":{"label":"X","latMin":1}}}`, nil, []string{"areas.x"}},
		{"thresholds inverted", `{"healthThresholds":{"nodeDegradedHours":48}}`, nil, []string{"healthThresholds.nodeDegradedHours"}},
		{"batch size", `{"ingest":{"batchSize":0}}`, nil, []string{"ingest.batchSize"}},
		{"two problems at once", `{"port":0,"metrics":{"sampleIntervalSec":0}}`, nil, []string{"port", "metrics.sampleIntervalSec"}},
		{"topic filter # not last", `{"mqttSources":[{"name":"x","broker":"tcp://a:1","topics":["meshcore/#","meshcore/#/bad"]}]}`, nil, []string{"mqttSources[0].topics[1]", `"#" must be the last level`}},
		{"topic filter partial +", `{"mqttSources":[{"name":"x","broker":"tcp://a:1","topics":["meshcore/SJC+/#"]}]}`, nil, []string{"mqttSources[0].topics[0]", `"+" must occupy a whole level`}},
		{"legacy mqtt.topic", `{"mqtt":{"broker":"tcp://a:1","topic":"meshcore/a#"}}`, nil, []string{"mqtt.topic", `"#"`}},
		{"env MQTT_TOPIC", `{}`, env("MQTT_BROKER", "tcp://a:1", "MQTT_TOPIC", "x/#/y"), []string{"topics[0]", `"#"`}},
		{"null file", "null\n", nil, []string{"JSON object", `"null"`}},
		{"array file", `[{"port":1}]`, nil, []string{"JSON object"}},
		{"BOM then null", "\uFEFFnull", nil, []string{"JSON object"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.file)
			_, err := Load(p, tc.getenv)
			if err == nil {
				t.Fatal("Load accepted invalid config")
			}
			msg := err.Error()
			for _, w := range append(tc.want, p) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestUnknownKeysAndNormalisedValuesWarn(t *testing.T) {
	p := writeFile(t, `{"retention":{"packetDay":30},"mqttSources":[{"broker":"tcp://a:1","topic":"x"}],"bogus":1,
		"timestamps":{"defaultMode":"sideways","timezone":"utc"},"regions":{"SJC":"San Jose"},"_comment_x":"ok"}`)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(c.Warnings, "\n")
	for _, w := range []string{`"retention.packetDay"`, `"mqttSources[0].topic"`, `"bogus"`, "timestamps.defaultMode"} {
		if !strings.Contains(all, w) {
			t.Errorf("warnings %q lack %s", all, w)
		}
	}
	if strings.Contains(all, "SJC") || strings.Contains(all, "_comment") {
		t.Errorf("map keys or comments warned about: %q", all)
	}
	if c.Timestamps.DefaultMode != "ago" || c.Timestamps.Timezone != "utc" {
		t.Errorf("timestamps = %+v, want defaultMode normalised, timezone kept", c.Timestamps)
	}
}

func TestAPIKeyStrength(t *testing.T) {
	for key, want := range map[string]bool{
		"":                         false,
		"short":                    false,
		"your-secret-api-key-here": false,
		"YOUR-SECRET-API-KEY-HERE": false,
		"0123456789abcdef":         true,
		"a-long-random-key-42":     true,
	} {
		c := Default()
		c.APIKey = key
		if got := c.APIKeyStrong(); got != want {
			t.Errorf("APIKeyStrong(%q) = %v, want %v", key, got, want)
		}
	}
	c := Default()
	c.APIKey = "super-secret-value-123"
	c.Sources = []MQTTSource{{Broker: "tcp://x:1", Password: "hunter2"}}
	if s := c.String(); strings.Contains(s, "super-secret") || strings.Contains(s, "hunter2") {
		t.Errorf("String() leaks a secret: %s", s)
	}
}

func TestFindServerFile(t *testing.T) {
	dir := t.TempDir()
	if got := FindServerFile(dir); got != filepath.Join(dir, "config.json") {
		t.Errorf("no files: %s", got)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "config.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := FindServerFile(dir); got != filepath.Join(dir, "data", "config.json") {
		t.Errorf("only data/config.json: %s", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := FindServerFile(dir); got != filepath.Join(dir, "config.json") {
		t.Errorf("both: %s", got)
	}
}

func TestHelpers(t *testing.T) {
	c, err := Load(writeFile(t, `{"cacheTTL":{"analyticsRF":120,"stats":"x"},"analytics":{"defaultIntervalSeconds":60,"recomputeIntervalSeconds":{"rf":15}},
		"channelKeys":{"Mine":"00112233445566778899aabbccddeeff"},"rejectUnauthorized":true,"mqttSources":[{"broker":"mqtts://a:1","rejectUnauthorized":false}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.CacheTTLSeconds("analyticsRF", 60); got != 120 {
		t.Errorf("CacheTTLSeconds(analyticsRF) = %v", got)
	}
	if got := c.CacheTTLSeconds("stats", 7); got != 7 {
		t.Errorf("non-numeric TTL = %v, want default", got)
	}
	if got := c.RecomputeInterval("rf"); got != 15 {
		t.Errorf("RecomputeInterval(rf) = %d", got)
	}
	if got := c.RecomputeInterval("topology"); got != 60 {
		t.Errorf("RecomputeInterval(topology) = %d", got)
	}
	if c.MQTTSources()[0].VerifyTLS() {
		t.Error("rejectUnauthorized:false must disable verification")
	}
	if !(MQTTSource{}).VerifyTLS() {
		t.Error("verification must default to on")
	}
	if got := c.StatsPath(); got != "data/ingestor-stats.json" {
		t.Errorf("StatsPath() = %q, want data/ingestor-stats.json", got)
	}
	c2, err := Load("", env("CORESCOPE_INGESTOR_STATS", "/run/stats.json"))
	if err != nil || c2.StatsPath() != "/run/stats.json" {
		t.Errorf("StatsPath with env = %q %v", c2.StatsPath(), err)
	}
	if c.ChannelKeysPath != filepath.Join(filepath.Dir(c.Path), "channel-rainbow.json") {
		t.Errorf("ChannelKeysPath = %q, want next to the config file", c.ChannelKeysPath)
	}
}

// TestExampleConfigDocumentsEveryKey: config.example.json loads cleanly and
// shows every key of Config (a key may instead be named in a _comment of
// its object, e.g. the bounding-box alternative to a polygon).
func TestExampleConfigDocumentsEveryKey(t *testing.T) {
	const path = "../../config.example.json"
	c, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if len(c.Warnings) > 0 {
		t.Errorf("example config warnings: %v", c.Warnings)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	var missing []string
	documented(obj, reflect.TypeOf(Config{}), "", &missing)
	if len(missing) > 0 {
		t.Errorf("config.example.json does not document: %s", strings.Join(missing, ", "))
	}
	if c.Roles != nil {
		t.Errorf("null pass-through value kept as %q, want nil", c.Roles)
	}
}

func documented(obj map[string]json.RawMessage, typ reflect.Type, prefix string, missing *[]string) {
	var comments strings.Builder
	for k, v := range obj {
		if strings.HasPrefix(k, "_comment") {
			comments.Write(v)
		}
	}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		raw, ok := obj[name]
		if !ok {
			if !strings.Contains(comments.String(), name) {
				*missing = append(*missing, prefix+name)
			}
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			var sub map[string]json.RawMessage
			if json.Unmarshal(raw, &sub) == nil {
				documented(sub, ft, prefix+name+".", missing)
			}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			// Every field must appear in at least one element.
			var subs []map[string]json.RawMessage
			if json.Unmarshal(raw, &subs) == nil {
				union := map[string]json.RawMessage{}
				for _, s := range subs {
					for k, v := range s {
						union[k] = v
					}
				}
				documented(union, ft.Elem(), prefix+name+"[].", missing)
			}
		}
	}
}

// TestBOMIsAccepted: a config saved by an editor that writes a UTF-8 byte
// order mark loads like the same file without it (it used to fail with
// "invalid character 'ï'").
func TestBOMIsAccepted(t *testing.T) {
	p := writeFile(t, "\uFEFF{\"port\": 3001, \"mqttSources\":[{\"name\":\"x\",\"broker\":\"tcp://a:1\",\"topics\":[\"meshcore/+/+/packets\"]}]}")
	c, err := Load(p, nil)
	if err != nil {
		t.Fatalf("Load with BOM: %v", err)
	}
	if c.Port != 3001 || len(c.Sources) != 1 || c.Sources[0].Topics[0] != "meshcore/+/+/packets" {
		t.Errorf("config read through a BOM: port %d, sources %+v", c.Port, c.Sources)
	}
}

func TestCheckTopicFilter(t *testing.T) {
	for _, ok := range []string{"#", "meshcore/#", "+/+/x", "meshcore/+/+/packets", "a//b", "/", "$share/g/meshcore/#", "$SYS/#", "a b/c"} {
		if err := CheckTopicFilter(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "meshcore/#/bad", "#/x", "a#", "a/b#", "a+/b", "a/+b", "x\x00y", "\xff", "$share/g", "$share//a", "$share/g+/a", strings.Repeat("a", 65536)} {
		if err := CheckTopicFilter(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
