package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/store"
)

func TestUnknownAPIPathIs404JSON(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, nil)
	for _, p := range []string{"/api/nope", "/api/packets/1/nope", "/api"} {
		code, hdr, body := fetch(t, http.MethodGet, ts.URL+p, "", nil)
		if code != http.StatusNotFound || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Fatalf("GET %s: %d %s %s, want 404 JSON", p, code, hdr.Get("Content-Type"), body)
		}
		var e errorBody
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			t.Fatalf("GET %s: body %s is not {\"error\":…}", p, body)
		}
	}
}

func TestWrongMethodIs405JSON(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, nil)
	for _, c := range []struct{ method, path string }{
		{http.MethodDelete, "/api/packets"}, {http.MethodPost, "/api/stats"}, {http.MethodGet, "/api/decode"},
	} {
		code, _, body := fetch(t, c.method, ts.URL+c.path, "", nil)
		if code != http.StatusMethodNotAllowed || !bytes.Contains(body, []byte(`"error"`)) {
			t.Fatalf("%s %s: %d %s, want 405 JSON", c.method, c.path, code, body)
		}
	}
}

func TestBadParametersAre400WithMessage(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	_, ts := newServer(t, testConfig(nil), st, nil)
	cases := []struct{ path, wantMsg string }{
		{"/api/packets?limit=abc", "limit must be an integer"},
		{"/api/packets?offset=-1", "offset must be"},
		{"/api/packets?type=ADVERT", "type must be an integer"},
		{"/api/packets?since=yesterday", "since must be an RFC 3339 time"},
		{"/api/packets?until=2026-13-45", "until must be an RFC 3339 time"},
		{"/api/packets?expand=everything", "expand must be observations"},
		{"/api/packets?groupByHash=maybe", "groupByHash must be true or false"},
		{"/api/packets/zzz", "packet id must be"},
		{"/api/packets/timestamps", "since required"},
		{"/api/nodes?lastHeard=2h", "lastHeard must be one of"},
		{"/api/nodes?sortBy=height", "sortBy must be"},
		{"/api/nodes/abc/neighbors?min_count=0", "min_count must be"},
		{"/api/nodes/abc/neighbors?min_score=x", "min_score must be a number"},
		{"/api/channels/public/messages?limit=1.5", "limit must be an integer"},
	}
	for _, c := range cases {
		var e errorBody
		getJSON(t, ts.URL+c.path, http.StatusBadRequest, &e)
		if !strings.Contains(e.Error, c.wantMsg) {
			t.Errorf("GET %s: error %q, want it to contain %q", c.path, e.Error, c.wantMsg)
		}
	}
}

func TestLimitParamClampsToMaximum(t *testing.T) {
	q := map[string][]string{"limit": {"999999"}}
	if v, err := limitParam(q, 50, 2000); err != nil || v != 2000 {
		t.Fatalf("limit 999999: got %d, %v; want 2000", v, err)
	}
	q["limit"] = []string{"0"}
	if v, _ := limitParam(q, 50, 2000); v != 50 {
		t.Fatalf("limit 0: got %d, want default 50", v)
	}
}

func TestHealthzIs503UntilStoreReady(t *testing.T) {
	s, ts := newServer(t, testConfig(nil), nil, nil)
	s.SetNotReady("waiting for the database schema")
	var nr struct {
		Ready  bool   `json:"ready"`
		Reason string `json:"reason"`
	}
	getJSON(t, ts.URL+"/api/healthz", http.StatusServiceUnavailable, &nr)
	if nr.Ready || nr.Reason != "waiting for the database schema" {
		t.Fatalf("healthz before store: %+v", nr)
	}
	// Data endpoints say 503 with Retry-After rather than failing.
	code, hdr, _ := fetch(t, http.MethodGet, ts.URL+"/api/packets", "", nil)
	if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" {
		t.Fatalf("packets before store: %d retry-after %q", code, hdr.Get("Retry-After"))
	}
	s.SetStore(runStore(t, fixtureDB(t), nil))
	var ok struct {
		Ready    bool  `json:"ready"`
		LoadedTx int64 `json:"loadedTx"`
	}
	getJSON(t, ts.URL+"/api/healthz", http.StatusOK, &ok)
	if !ok.Ready || ok.LoadedTx != 499 {
		t.Fatalf("healthz after load: %+v, want ready with 499 tx", ok)
	}
}

// recordingPublisher is a fake Publisher that keeps what it was given.
type recordingPublisher struct {
	mu     sync.Mutex
	topics []string
	bodies [][]byte
}

func (p *recordingPublisher) Publish(_ context.Context, topic string, payload []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.topics = append(p.topics, topic)
	p.bodies = append(p.bodies, payload)
	return nil
}

const goldenTxtMsg = "0A00D69FD7A5A7475DB07337749AE61FA53A4788E976"

func TestAPIKeyRules(t *testing.T) {
	body := `{"hex":"` + goldenTxtMsg + `","observer":"obs1","snr":7.5}`
	cases := []struct {
		name, key, sent string
		want            int
		wantMsg         string
	}{
		{"no key configured", "", "anything-long-enough", 403, "write endpoints disabled"},
		{"wrong key", "a-very-strong-key-0123", "nope", 401, "unauthorized"},
		{"weak key configured", "password", "password", 403, "forbidden"},
		{"short key configured", "short-key", "short-key", 403, "forbidden"},
		{"strong key", "a-very-strong-key-0123", "a-very-strong-key-0123", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pub := &recordingPublisher{}
			_, ts := newServer(t, testConfig(func(cfg *config.Config) { cfg.APIKey = c.key }), nil,
				func(o *Options) { o.Publisher = pub })
			code, _, resp := fetch(t, http.MethodPost, ts.URL+"/api/packets", body, map[string]string{"X-API-Key": c.sent})
			if code != c.want || !strings.Contains(string(resp), c.wantMsg) {
				t.Fatalf("got %d %s, want %d containing %q", code, resp, c.want, c.wantMsg)
			}
			if c.want != 200 {
				if len(pub.topics) != 0 {
					t.Fatalf("published despite %d", code)
				}
				return
			}
			var out struct {
				ID      int64          `json:"id"`
				Hash    string         `json:"hash"`
				Decoded map[string]any `json:"decoded"`
			}
			if err := json.Unmarshal(resp, &out); err != nil {
				t.Fatal(err)
			}
			if out.Hash != "b1f07307cbc01ce5" || out.Decoded["header"] == nil {
				t.Fatalf("response %s: want hash b1f07307cbc01ce5 and decoded header", resp)
			}
			if len(pub.topics) != 1 || pub.topics[0] != "meshcore/MANUAL/obs1/packets" {
				t.Fatalf("published topics %v", pub.topics)
			}
			var msg map[string]any
			if err := json.Unmarshal(pub.bodies[0], &msg); err != nil || msg["raw"] != goldenTxtMsg || msg["SNR"] != 7.5 {
				t.Fatalf("published body %s", pub.bodies[0])
			}
		})
	}
}

func TestDecodeReturnsCodecResultAndBreakdown(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, nil)
	code, _, body := fetch(t, http.MethodPost, ts.URL+"/api/decode", `{"hex":"`+goldenTxtMsg+`"}`, nil)
	if code != 200 {
		t.Fatalf("decode: %d %s", code, body)
	}
	var out struct {
		Decoded struct {
			Header  map[string]any `json:"header"`
			Payload map[string]any `json:"payload"`
		} `json:"decoded"`
		Breakdown struct {
			Fields []map[string]any `json:"fields"`
		} `json:"breakdown"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Decoded.Header["payloadTypeName"] != "TXT_MSG" || out.Decoded.Payload["srcHash"] != "9f" {
		t.Fatalf("decoded %s", body)
	}
	for _, c := range []struct{ body, msg string }{
		{`{"hex":""}`, "hex is required"}, {`not json`, "invalid JSON body"}, {`{"hex":"zz"}`, ""},
	} {
		code, _, resp := fetch(t, http.MethodPost, ts.URL+"/api/decode", c.body, nil)
		if code != 400 || !strings.Contains(string(resp), c.msg) {
			t.Fatalf("decode %s: %d %s, want 400 %q", c.body, code, resp, c.msg)
		}
	}
}

func TestCORS(t *testing.T) {
	_, open := newServer(t, testConfig(nil), nil, nil)
	_, hdr, _ := fetch(t, http.MethodGet, open.URL+"/api/config/map", "", map[string]string{"Origin": "https://x.example"})
	if hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("no allow-list: got CORS header %q", hdr.Get("Access-Control-Allow-Origin"))
	}
	_, ts := newServer(t, testConfig(func(c *config.Config) { c.CORSAllowedOrigins = []string{"https://map.example"} }), nil, nil)
	_, hdr, _ = fetch(t, http.MethodGet, ts.URL+"/api/config/map", "", map[string]string{"Origin": "https://map.example"})
	if hdr.Get("Access-Control-Allow-Origin") != "https://map.example" || !strings.Contains(hdr.Get("Access-Control-Allow-Headers"), "X-API-Key") {
		t.Fatalf("allowed origin headers: %v", hdr)
	}
	if code, _, _ := fetch(t, http.MethodOptions, ts.URL+"/api/packets", "", map[string]string{"Origin": "https://map.example"}); code != 204 {
		t.Fatalf("preflight allowed: %d, want 204", code)
	}
	if code, _, _ := fetch(t, http.MethodOptions, ts.URL+"/api/packets", "", map[string]string{"Origin": "https://evil.example"}); code != 403 {
		t.Fatalf("preflight disallowed: %d, want 403", code)
	}
}

func TestGzipWhenEnabledAndAccepted(t *testing.T) {
	_, ts := newServer(t, testConfig(func(c *config.Config) { c.Compression.Gzip = true }), nil, nil)
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/iata-coords", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	if !bytes.Equal(b, iataCoords) {
		t.Fatalf("decompressed body differs from the iata table")
	}
}

func TestObserversListIsCachedWithAge(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	s, ts := newServer(t, testConfig(nil), st, nil)
	var first struct {
		Observers []map[string]any `json:"observers"`
	}
	getJSON(t, ts.URL+"/api/observers", 200, &first)
	_, hdr, _ := fetch(t, http.MethodGet, ts.URL+"/api/observers", "", nil)
	if _, err := strconv.Atoi(hdr.Get("X-Cache-Age-Seconds")); err != nil {
		t.Fatalf("X-Cache-Age-Seconds %q", hdr.Get("X-Cache-Age-Seconds"))
	}
	if hits, misses := s.observers.counters(); hits != 1 || misses != 1 {
		t.Fatalf("cache hits/misses = %d/%d, want 1/1", hits, misses)
	}
	if len(first.Observers) == 0 {
		t.Fatal("no observers in fixture response")
	}
	id := first.Observers[0]["id"].(string)
	getJSON(t, ts.URL+"/api/observers/"+id, 200, nil)
	var e errorBody
	getJSON(t, ts.URL+"/api/observers/NOPE", 404, &e)
	if e.Error != "Observer not found" {
		t.Fatalf("unknown observer error %q", e.Error)
	}
}

func TestPacketDetailByHashIDAndObservation(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	_, ts := newServer(t, testConfig(nil), st, nil)
	var list struct {
		Packets []struct {
			ID           int64  `json:"id"`
			Hash         string `json:"hash"`
			Observations []struct {
				ID int64 `json:"id"`
			} `json:"observations"`
		} `json:"packets"`
	}
	getJSON(t, ts.URL+"/api/packets?limit=1&expand=observations", 200, &list)
	p := list.Packets[0]
	type detail struct {
		Packet struct {
			ID   int64  `json:"id"`
			Hash string `json:"hash"`
		} `json:"packet"`
		Path             []string `json:"path"`
		ObservationCount int      `json:"observation_count"`
		Breakdown        struct {
			Fields []map[string]any `json:"fields"`
		} `json:"breakdown"`
	}
	for _, key := range []string{p.Hash, strconv.FormatInt(p.ID, 10)} {
		var d detail
		getJSON(t, ts.URL+"/api/packets/"+key, 200, &d)
		if d.Packet.Hash != p.Hash || d.ObservationCount < 1 || d.Path == nil {
			t.Fatalf("detail %s: %+v", key, d)
		}
	}
	if len(p.Observations) > 0 {
		var d struct {
			Packet struct {
				ID             int64  `json:"id"`
				TransmissionID int64  `json:"transmission_id"`
				Hash           string `json:"hash"`
			} `json:"packet"`
		}
		getJSON(t, ts.URL+"/api/packets/"+strconv.FormatInt(p.Observations[0].ID, 10), 200, &d)
		if d.Packet.Hash != p.Hash {
			t.Fatalf("by observation id: %+v", d)
		}
	}
	var e errorBody
	getJSON(t, ts.URL+"/api/packets/ffffffffffffffff", 404, &e)
}

func TestGeoFilterPutSavesConfig(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"port": 3000, "apiKey": "a-very-strong-key-0123"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(func(c *config.Config) { c.APIKey = "a-very-strong-key-0123" })
	_, ts := newServer(t, cfg, nil, func(o *Options) { o.ConfigPath = cfgPath })
	key := map[string]string{"X-API-Key": "a-very-strong-key-0123"}
	code, _, body := fetch(t, http.MethodPut, ts.URL+"/api/config/geo-filter", `{"polygon":[[1,2]],"bufferKm":1}`, key)
	if code != 400 || !strings.Contains(string(body), "at least 3 points") {
		t.Fatalf("2-point polygon: %d %s", code, body)
	}
	poly := `{"polygon":[[37,-122],[38,-122],[38,-121]],"bufferKm":5}`
	if code, _, body = fetch(t, http.MethodPut, ts.URL+"/api/config/geo-filter", poly, key); code != 200 {
		t.Fatalf("put: %d %s", code, body)
	}
	var got struct {
		Polygon      [][]float64 `json:"polygon"`
		BufferKm     float64     `json:"bufferKm"`
		WriteEnabled bool        `json:"writeEnabled"`
	}
	getJSON(t, ts.URL+"/api/config/geo-filter", 200, &got)
	if len(got.Polygon) != 3 || got.BufferKm != 5 || !got.WriteEnabled {
		t.Fatalf("get after put: %+v", got)
	}
	saved, err := config.Load(cfgPath, nil)
	if err != nil {
		t.Fatalf("reload saved config: %v", err)
	}
	if saved.Port != 3000 || saved.GeoFilter == nil || len(saved.GeoFilter.Polygon) != 3 {
		t.Fatalf("saved config lost keys or filter: port %d filter %+v", saved.Port, saved.GeoFilter)
	}
}

func TestThemeMergesConfigAndThemeFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "theme.json"), []byte(`{"theme":{"accent":"#ff0000"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(func(c *config.Config) { c.Branding = json.RawMessage(`{"siteName":"Bay Mesh"}`) })
	_, ts := newServer(t, cfg, nil, func(o *Options) { o.ConfigDir = dir })
	var th map[string]map[string]any
	getJSON(t, ts.URL+"/api/config/theme", 200, &th)
	if th["branding"]["siteName"] != "Bay Mesh" || th["branding"]["tagline"] == nil {
		t.Fatalf("branding %v", th["branding"])
	}
	if th["theme"]["accent"] != "#ff0000" || th["theme"]["navBg"] == nil {
		t.Fatalf("theme %v", th["theme"])
	}
	if th["home"]["steps"] == nil || th["typeColors"]["ADVERT"] == nil {
		t.Fatalf("defaults missing: home %v typeColors %v", th["home"], th["typeColors"])
	}
}

func TestDecodeDecryptsPublicChannel(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, nil)
	code, _, body := fetch(t, http.MethodPost, ts.URL+"/api/decode", `{"hex":"150011C3C1354D619BAE9590E4D177DB7EEAF982F5BDCF78005D75157D9535FA90178F785D"}`, nil)
	var out struct {
		Decoded struct {
			Payload map[string]any `json:"payload"`
		} `json:"decoded"`
	}
	if code != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("decode: %d %s", code, body)
	}
	if out.Decoded.Payload["decryptionStatus"] != "decrypted" || out.Decoded.Payload["channel"] != "Public" {
		t.Fatalf("public channel not decrypted: %v", out.Decoded.Payload)
	}
}

func TestBlacklistedObserverAndNodeAreHidden(t *testing.T) {
	path := fixtureDB(t)
	open := runStore(t, path, nil)
	_, ts := newServer(t, testConfig(nil), open, nil)
	var obs struct {
		Observers []struct {
			ID string `json:"id"`
		} `json:"observers"`
	}
	getJSON(t, ts.URL+"/api/observers", 200, &obs)
	var nodes struct {
		Nodes []struct {
			PublicKey string `json:"public_key"`
		} `json:"nodes"`
	}
	getJSON(t, ts.URL+"/api/nodes?limit=1", 200, &nodes)
	obsID, pk := obs.Observers[0].ID, nodes.Nodes[0].PublicKey

	hidden := runStoreWith(t, path, store.Config{ObserverBlacklist: []string{obsID}, NodeBlacklist: []string{pk}})
	_, ts2 := newServer(t, testConfig(nil), hidden, nil)
	getJSON(t, ts2.URL+"/api/observers", 200, &obs)
	for _, o := range obs.Observers {
		if o.ID == obsID {
			t.Fatalf("blacklisted observer %s listed", obsID)
		}
	}
	var e errorBody
	getJSON(t, ts2.URL+"/api/observers/"+obsID, 404, &e)
	getJSON(t, ts2.URL+"/api/nodes/"+pk, 404, &e)
}

// The geo filter hides nodes with GPS outside it from /api/nodes and
// /api/nodes/search: from config at startup and after PUT (which swaps it in
// the running store); an empty polygon clears it.
func TestGeoFilterAppliesToNodeLists(t *testing.T) {
	type row struct {
		PublicKey string   `json:"public_key"`
		Lat       *float64 `json:"lat"`
		Lon       *float64 `json:"lon"`
		Foreign   bool     `json:"foreign"`
	}
	var list struct {
		Nodes []row `json:"nodes"`
		Total int   `json:"total"`
	}
	st := runStore(t, fixtureDB(t), nil)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"apiKey": "a-very-strong-key-0123"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(func(c *config.Config) { c.APIKey = "a-very-strong-key-0123" })
	_, ts := newServer(t, cfg, st, func(o *Options) { o.ConfigPath = cfgPath })
	getJSON(t, ts.URL+"/api/nodes?limit=10000", 200, &list)
	all := list.Total
	var pick *row
	outside := 0
	for i, n := range list.Nodes {
		if n.Lat == nil || n.Lon == nil || (*n.Lat == 0 && *n.Lon == 0) || n.Foreign {
			continue
		}
		if pick == nil {
			pick = &list.Nodes[i]
		} else if math.Abs(*n.Lat-*pick.Lat) > 0.1 || math.Abs(*n.Lon-*pick.Lon) > 0.1 {
			outside++
		}
	}
	if pick == nil || outside == 0 {
		t.Fatalf("fixture lacks spread-out GPS nodes (pick %v, outside %d)", pick, outside)
	}
	lat, lon := *pick.Lat, *pick.Lon
	poly := fmt.Sprintf(`[[%f,%f],[%f,%f],[%f,%f],[%f,%f]]`, lat-0.05, lon-0.05, lat-0.05, lon+0.05, lat+0.05, lon+0.05, lat+0.05, lon-0.05)
	key := map[string]string{"X-API-Key": "a-very-strong-key-0123"}
	if code, _, body := fetch(t, http.MethodPut, ts.URL+"/api/config/geo-filter", `{"polygon":`+poly+`}`, key); code != 200 {
		t.Fatalf("put: %d %s", code, body)
	}
	check := func(base string, wantAll bool) {
		t.Helper()
		getJSON(t, base+"/api/nodes?limit=10000", 200, &list)
		if wantAll {
			if list.Total != all {
				t.Errorf("filter off: total %d, want %d", list.Total, all)
			}
			return
		}
		if list.Total > all-outside || list.Total != len(list.Nodes) {
			t.Errorf("filtered: total %d rows %d, want <= %d", list.Total, len(list.Nodes), all-outside)
		}
		found := false
		for _, n := range list.Nodes {
			found = found || n.PublicKey == pick.PublicKey
		}
		if !found {
			t.Errorf("node inside the filter is missing")
		}
		var search struct {
			Nodes []row `json:"nodes"`
		}
		getJSON(t, base+"/api/nodes/search?q="+pick.PublicKey[:8], 200, &search)
		if len(search.Nodes) != 1 {
			t.Errorf("search for the inside node: %d rows", len(search.Nodes))
		}
	}
	check(ts.URL, false)

	// A second server started with the saved config applies it at once.
	saved, err := config.Load(cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, ts2 := newServer(t, saved, runStore(t, fixtureDB(t), nil), nil)
	check(ts2.URL, false)

	if code, _, body := fetch(t, http.MethodPut, ts.URL+"/api/config/geo-filter", `{"polygon":[]}`, key); code != 200 {
		t.Fatalf("clear: %d %s", code, body)
	}
	check(ts.URL, true)
}
