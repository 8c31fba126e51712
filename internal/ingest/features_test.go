package ingest_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/ingest"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/mqtttest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEmbeddedBrokerQuickStart: with embeddedBroker set and no sources, the
// ingestor runs its own broker and ingests what is published to it.
func TestEmbeddedBrokerQuickStart(t *testing.T) {
	addr := freeAddr(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	cfg := ingesttest.Config("", dbPath)
	cfg.Sources = nil
	cfg.EmbeddedBroker = addr
	ing := ingesttest.StartWith(t, cfg, ingest.Options{})
	msgs := []ingesttest.Message{packetMsg("SEA", strings.Repeat("EE", 32), "emb", uniqueTxt(1), "1", "-80"),
		packetMsg("SEA", strings.Repeat("EE", 32), "emb", uniqueTxt(2), "1", "-80")}
	ingesttest.Publish(t, "tcp://"+addr, msgs)
	ing.WaitAcked(t, 2)
	st := ing.Stats()
	if len(st.Sources) != 1 || st.Sources[0].Name != "embedded" {
		t.Errorf("sources = %+v, want one named embedded", st.Sources)
	}
	ing.Stop()
	if got := count(t, openRO(t, dbPath), "SELECT COUNT(*) FROM transmissions"); got != 2 {
		t.Errorf("transmissions = %d, want 2", got)
	}
}

// TestSourcesAreIndependent: an unreachable broker never blocks a good one.
func TestSourcesAreIndependent(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	dead := "tcp://" + freeAddr(t) // nothing listens there
	ing := ingesttest.Start(t, b.URL, dbPath, func(c *config.Config) {
		c.Sources = append([]config.MQTTSource{{Name: "dead", Broker: dead, ConnectTimeoutSec: 1}}, c.Sources...)
	})
	msgs := make([]ingesttest.Message, 50)
	for i := range msgs {
		msgs[i] = packetMsg("SEA", strings.Repeat("DD", 32), "live", uniqueTxt(i), "2", "-70")
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))
	st := ing.Stats()
	byName := map[string]ingest.SourceStats{}
	for _, s := range st.Sources {
		byName[s.Name] = s
	}
	if byName["dead"].Connected || !byName["test"].Connected || byName["test"].Messages != uint64(len(msgs)) {
		t.Errorf("sources = %+v, want dead disconnected and test connected with %d messages", st.Sources, len(msgs))
	}
	if got := count(t, openRO(t, dbPath), "SELECT COUNT(*) FROM observations"); got != len(msgs) {
		t.Errorf("observations = %d, want %d", got, len(msgs))
	}
}

// TestFiltersAndBlacklist checks the global IATA whitelist, the per-source
// iataFilter (case-insensitive, packets only) and the observer blacklist.
func TestFiltersAndBlacklist(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	good, banned := strings.Repeat("A1", 32), strings.Repeat("B2", 32)
	// A banned observer already stored by an earlier run is soft-deleted at
	// start (INGEST §1 step 4).
	stored := strings.Repeat("C3", 32)
	seedObservers(t, dbPath, strings.ToUpper(stored), good)
	ing := ingesttest.Start(t, b.URL, dbPath, func(c *config.Config) {
		c.ObserverIATAWhitelist = []string{"sea", "PDX"}
		c.Sources[0].IATAFilter = []string{"sea"}
		c.ObserverBlacklist = []string{" " + strings.ToLower(banned) + " ", stored}
	})
	msgs := []ingesttest.Message{
		packetMsg("SEA", good, "g", uniqueTxt(1), "1", "-1"),                         // stored
		packetMsg("sea", good, "g", uniqueTxt(2), "1", "-1"),                         // stored: filters are case-insensitive
		packetMsg("PDX", good, "g", uniqueTxt(3), "1", "-1"),                         // whitelisted, but not in the source's iataFilter
		packetMsg("LAX", good, "g", uniqueTxt(4), "1", "-1"),                         // not whitelisted
		packetMsg("SEA", banned, "b", uniqueTxt(5), "1", "-1"),                       // blacklisted observer
		statusMsg("PDX", good, "g", 3900),                                            // status ignores iataFilter: stored
		statusMsg("SEA", banned, "b", 3900),                                          // blacklisted
		{Topic: "meshcore/message/channel/2", Payload: []byte(`{"text":"Ann: hi"}`)}, // companion: no region, exempt
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))
	d := openRO(t, dbPath)
	if got := count(t, d, "SELECT COUNT(*) FROM transmissions WHERE raw_hex != ''"); got != 2 {
		t.Errorf("packet transmissions = %d, want 2", got)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM transmissions WHERE channel_hash = 'ch2'"); got != 1 {
		t.Errorf("companion channel transmissions = %d, want 1", got)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM observers WHERE id = ?", banned); got != 0 {
		t.Errorf("blacklisted observer rows = %d, want 0", got)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM observers WHERE inactive = 1"); got != 1 {
		t.Errorf("inactive observers = %d, want 1 (the stored blacklisted one)", got)
	}
	if got := count(t, d, "SELECT inactive FROM observers WHERE id = ?", strings.ToUpper(stored)); got != 1 {
		t.Errorf("stored blacklisted observer inactive = %d, want 1", got)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM observer_metrics WHERE observer_id = ?", good); got != 1 {
		t.Errorf("metrics of the PDX status = %d, want 1", got)
	}
	st := ing.Stats()
	if st.Drops["iata_filtered"] != 2 || st.Drops["blacklisted"] != 2 {
		t.Errorf("drops = %v, want iata_filtered 2, blacklisted 2", st.Drops)
	}
}

// TestCompanionAndManualMessages covers the legacy companion-bridge topics
// and the topic the server's POST /api/packets publishes to.
func TestCompanionAndManualMessages(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)
	manual, _ := json.Marshal(map[string]any{"raw": "0A00D69FD7A5A7475DB07337749AE61FA53A4788E976", "SNR": 7.5, "RSSI": -96, "origin": "manual"})
	msgs := []ingesttest.Message{
		{Topic: "meshcore/MANUAL/manual/packets", Payload: manual},
		{Topic: "meshcore/message/channel/3", Payload: []byte(`{"text":"Bob: hello there","SNR":"4","sender_timestamp":1700000000}`)},
		{Topic: "meshcore/message/direct/xyz", Payload: []byte(`{"text":"psst"}`)},
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))
	d := openRO(t, dbPath)
	var obsName string
	var snr float64
	err := d.QueryRow(`SELECT obs.name, o.snr FROM observations o JOIN transmissions t ON t.id = o.transmission_id
JOIN observers obs ON obs.idx = o.observer_idx WHERE t.hash = 'b1f07307cbc01ce5'`).Scan(&obsName, &snr)
	if err != nil || obsName != "manual" || snr != 7.5 {
		t.Errorf("manual packet: observer %q snr %v err %v; want manual, 7.5", obsName, snr, err)
	}
	var dj, ch string
	if err := d.QueryRow("SELECT decoded_json, channel_hash FROM transmissions WHERE payload_type = 5").Scan(&dj, &ch); err != nil {
		t.Fatal(err)
	}
	var chan3 struct {
		Type, Channel, Text, Sender string
		SenderTimestamp             int64 `json:"sender_timestamp"`
	}
	if err := json.Unmarshal([]byte(dj), &chan3); err != nil || ch != "ch3" || chan3.Type != "CHAN" || chan3.Sender != "Bob" ||
		chan3.Text != "Bob: hello there" || chan3.SenderTimestamp != 1700000000 {
		t.Errorf("companion channel row = %s / %q (%v)", dj, ch, err)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM transmissions WHERE payload_type = 2 AND raw_hex = '' AND decoded_json LIKE '%\"DM\"%'"); got != 1 {
		t.Errorf("companion direct rows = %d, want 1", got)
	}
}

// TestRetainedAndOfflineStatusAreNotLiveness: a retained status (replayed on
// every subscribe) and the last-will "offline" update device info but do not
// count as the observer being alive, and write no metrics sample.
func TestRetainedAndOfflineStatusAreNotLiveness(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	id := strings.Repeat("C3", 32)
	// Retained before the ingestor subscribes, as a bridge's "online" would be.
	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL).SetClientID("retainer"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	retained := statusMsg("SEA", id, "Retained-Obs", 4100)
	if tok := pub.Publish(retained.Topic, 1, true, retained.Payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish retained: %v", tok.Error())
	}
	pub.Disconnect(100)

	ing := ingesttest.Start(t, b.URL, dbPath)
	ing.WaitAcked(t, 1)
	d := openRO(t, dbPath)
	var model string
	var lastSeen *string
	if err := d.QueryRow("SELECT model, last_seen FROM observers WHERE id = ?", id).Scan(&model, &lastSeen); err != nil {
		t.Fatalf("observer from retained status: %v", err)
	}
	if model != "Heltec V3" || (lastSeen != nil && *lastSeen != "") {
		t.Errorf("retained status: model %q last_seen %v; want Heltec V3 and no last_seen", model, lastSeen)
	}
	offline := ingesttest.Message{Topic: "meshcore/SEA/" + id + "/status", Payload: []byte(`{"status":"offline","origin":"Retained-Obs"}`)}
	ingesttest.Publish(t, b.URL, []ingesttest.Message{offline})
	ing.WaitAcked(t, 2)
	if got := count(t, d, "SELECT COUNT(*) FROM observer_metrics WHERE observer_id = ?", id); got != 0 {
		t.Errorf("metrics rows = %d, want 0", got)
	}
	live := statusMsg("SEA", id, "Retained-Obs", 4000)
	ingesttest.Publish(t, b.URL, []ingesttest.Message{live})
	ing.WaitAcked(t, 3)
	if got := count(t, d, "SELECT COUNT(*) FROM observers WHERE id = ? AND last_seen IS NOT NULL AND last_seen != ''", id); got != 1 {
		t.Errorf("a live status did not set last_seen")
	}
}

// TestStatsFileIsWritten checks the 1 Hz stats file the server reads.
func TestStatsFileIsWritten(t *testing.T) {
	b := mqtttest.Start(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "meshcore.db")
	statsPath := filepath.Join(dir, "stats.json")
	ing := ingesttest.StartWith(t, ingesttest.Config(b.URL, dbPath), ingest.Options{StatsPath: statsPath, StatsInterval: 50 * time.Millisecond})
	ingesttest.Publish(t, b.URL, []ingesttest.Message{packetMsg("SEA", strings.Repeat("F0", 32), "s", uniqueTxt(9), "1", "-1"),
		{Topic: "meshcore/SEA/x/packets", Payload: []byte("not json")}})
	ing.WaitAcked(t, 2)
	var st map[string]any
	waitUntil(t, "stats file with both messages", func() bool {
		raw, err := os.ReadFile(statsPath)
		if err != nil || json.Unmarshal(raw, &st) != nil {
			return false
		}
		return st["messages_acked"] == float64(2)
	})
	for _, k := range []string{"sampledAt", "tx_inserted", "obs_inserted", "tx_dupes", "node_upserts", "observer_upserts",
		"write_errors", "sig_drops", "walCommits", "groupCommitFlushes", "backfillUpdates", "procIO", "drops", "sources"} {
		if _, ok := st[k]; !ok {
			t.Errorf("stats file lacks %q", k)
		}
	}
	srcs, _ := st["sources"].([]any)
	if len(srcs) != 1 {
		t.Fatalf("sources = %v", st["sources"])
	}
	src := srcs[0].(map[string]any)
	if src["name"] != "test" || src["connected"] != true || src["messages"] != float64(2) || src["lastMessageAt"] == "" {
		t.Errorf("source entry = %v", src)
	}
	if drops := st["drops"].(map[string]any); drops["invalid_json"] != float64(1) {
		t.Errorf("drops = %v, want invalid_json 1", drops)
	}
	if fi, err := os.Stat(statsPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("stats file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

// TestStalledSourceIsReconnected: a connected source that goes silent after
// delivering messages is forcibly reconnected by the watchdog, and keeps
// ingesting afterwards.
func TestStalledSourceIsReconnected(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.StartWith(t, ingesttest.Config(b.URL, dbPath), ingest.Options{
		WatchInterval: 50 * time.Millisecond, StallAfter: 300 * time.Millisecond})
	obs := strings.Repeat("9A", 32)
	ingesttest.Publish(t, b.URL, []ingesttest.Message{packetMsg("SEA", obs, "w", uniqueTxt(1), "1", "-1")})
	ing.WaitAcked(t, 1)
	waitUntil(t, "a forced reconnect", func() bool {
		s := ing.Stats().Sources[0]
		return s.Stalls >= 1 && s.Reconnects >= 1 && s.Connected
	})
	ingesttest.Publish(t, b.URL, []ingesttest.Message{packetMsg("SEA", obs, "w", uniqueTxt(2), "1", "-1")})
	ing.WaitAcked(t, 2)
	if got := count(t, openRO(t, dbPath), "SELECT COUNT(*) FROM transmissions"); got != 2 {
		t.Errorf("transmissions = %d, want 2", got)
	}
}

// TestNaiveClockSkewIsRecorded: an observer whose bridge sends zone-less
// local time two hours behind UTC gets clock_skew_seconds ≈ -7200.
func TestNaiveClockSkewIsRecorded(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)
	id := strings.Repeat("5E", 32)
	ts := time.Now().UTC().Add(-2 * time.Hour).Format("2006-01-02T15:04:05.000000")
	p, _ := json.Marshal(map[string]any{"raw": uniqueTxt(77), "origin": "skewed", "timestamp": ts})
	ingesttest.Publish(t, b.URL, []ingesttest.Message{{Topic: "meshcore/SEA/" + id + "/packets", Payload: p}})
	ing.WaitAcked(t, 1)
	var skew int64
	var count24 int
	if err := openRO(t, dbPath).QueryRow("SELECT clock_skew_seconds, clock_skew_count_24h FROM observers WHERE id = ?", id).Scan(&skew, &count24); err != nil {
		t.Fatal(err)
	}
	if skew > -7190 || skew < -7210 || count24 != 1 {
		t.Errorf("clock_skew_seconds = %d, count_24h = %d; want ≈ -7200 and 1", skew, count24)
	}
}

// TestGeoFilterFlagsOrDropsForeignAdverts: adverts outside geo_filter are
// stored and flagged (default) or dropped (foreignAdverts.mode = "drop").
func TestGeoFilterFlagsOrDropsForeignAdverts(t *testing.T) {
	var adverts []vector
	for _, v := range loadVectors(t) {
		if v.validAdvert() && v.Expect.Decoded.Lat != nil && *v.Expect.Decoded.Lat != 0 {
			adverts = append(adverts, v)
		}
	}
	if len(adverts) == 0 {
		t.Fatal("no located advert among the vectors")
	}
	// A small box around Seattle; none of the located vectors is inside
	// except the Cougar Mountain repeater (47.54, -122.1).
	seattle := &config.GeoFilter{Polygon: [][]float64{{47.3, -122.6}, {47.8, -122.6}, {47.8, -121.9}, {47.3, -121.9}}}
	inside := func(v vector) bool {
		lat, lon := *v.Expect.Decoded.Lat, *v.Expect.Decoded.Lon
		return lat > 47.3 && lat < 47.8 && lon > -122.6 && lon < -121.9
	}
	for _, mode := range []string{"flag", "drop"} {
		t.Run(mode, func(t *testing.T) {
			b := mqtttest.Start(t)
			dbPath := filepath.Join(t.TempDir(), "meshcore.db")
			ing := ingesttest.Start(t, b.URL, dbPath, func(c *config.Config) {
				c.GeoFilter, c.ForeignAdverts.Mode = seattle, mode
			})
			var msgs []ingesttest.Message
			wantIn, wantOut := map[string]bool{}, map[string]bool{}
			for _, v := range adverts {
				msgs = append(msgs, packetMsg("SEA", strings.Repeat("6A", 32), "geo", v.Hex, "1", "-1"))
				if inside(v) {
					wantIn[v.Expect.Decoded.PubKey] = true
				} else {
					wantOut[v.Expect.Decoded.PubKey] = true
				}
			}
			if len(wantIn) == 0 || len(wantOut) == 0 {
				t.Fatalf("need adverts inside (%d) and outside (%d) the filter", len(wantIn), len(wantOut))
			}
			ingesttest.Publish(t, b.URL, msgs)
			ing.WaitAcked(t, uint64(len(msgs)))
			d := openRO(t, dbPath)
			flagged := count(t, d, "SELECT COUNT(*) FROM nodes WHERE foreign_advert = 1")
			total := count(t, d, "SELECT COUNT(*) FROM nodes")
			if mode == "flag" && (flagged != len(wantOut) || total != len(wantIn)+len(wantOut)) {
				t.Errorf("flag: %d flagged of %d nodes, want %d of %d", flagged, total, len(wantOut), len(wantIn)+len(wantOut))
			}
			if mode == "drop" && (flagged != 0 || total != len(wantIn) || ing.Stats().Drops["foreign_advert"] == 0) {
				t.Errorf("drop: %d flagged of %d nodes (drops %v), want 0 of %d", flagged, total, ing.Stats().Drops, len(wantIn))
			}
		})
	}
}
