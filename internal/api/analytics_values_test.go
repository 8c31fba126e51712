package api

import (
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
)

// The analytics values are checked against independent computations over the
// same SQLite file: SQL, or a naive loop over rows read with SQL.

func TestAnalyticsValuesOnFixture(t *testing.T) {
	checkAnalyticsValues(t, fixtureDB(t))
}

func TestAnalyticsValuesOnMeshsimDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshcore.db")
	sim := meshsim.New(meshsim.Options{Seed: 5, Nodes: 50, Observers: 4, Duration: time.Hour, End: time.Now().UTC().Truncate(time.Second)})
	var msgs []ingesttest.Message
	for _, m := range sim.Generate(400) {
		msgs = append(msgs, ingesttest.Message{Topic: m.Topic, Payload: m.Payload})
	}
	ingesttest.Fill(t, path, msgs)
	checkAnalyticsValues(t, path)
}

func checkAnalyticsValues(t *testing.T, path string) {
	st := runStore(t, path, nil)
	_, ts := newServer(t, testConfig(func(c *config.Config) {
		c.Areas = map[string]config.Area{"bay": {Label: "Bay", Polygon: [][]float64{{37, -123}, {38, -123}, {38, -121}}}}
	}), st, nil)
	waitAnalytics(t, ts.URL)
	d := openSQL(t, path)
	t.Run("rf", func(t *testing.T) { checkRF(t, ts.URL, d) })
	t.Run("rf region", func(t *testing.T) { checkRFRegion(t, ts.URL, d) })
	t.Run("topology hops", func(t *testing.T) { checkHops(t, ts.URL, d) })
	t.Run("channels", func(t *testing.T) { checkChannels(t, ts.URL, d) })
	t.Run("hash sizes", func(t *testing.T) { checkHashSizes(t, ts.URL, d) })
	t.Run("scope stats", func(t *testing.T) { checkScopeStats(t, ts.URL, d) })
}

type rfBody struct {
	TotalPackets       int64 `json:"totalPackets"`
	TotalAllPackets    int64 `json:"totalAllPackets"`
	TotalTransmissions int64 `json:"totalTransmissions"`
	SNRValues          struct {
		Bins []struct {
			Count int64 `json:"count"`
		} `json:"bins"`
	} `json:"snrValues"`
	PacketsPerHour []struct {
		Hour  string `json:"hour"`
		Count int64  `json:"count"`
	} `json:"packetsPerHour"`
	PayloadTypes []struct {
		Type  *int  `json:"type"`
		Count int64 `json:"count"`
	} `json:"payloadTypes"`
}

func sqlInt(t *testing.T, d *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := d.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func checkRF(t *testing.T, base string, d *sql.DB) {
	var rf rfBody
	getJSON(t, base+"/api/analytics/rf", 200, &rf)
	join := ` FROM observations o JOIN transmissions t ON t.id = o.transmission_id`
	want := []struct {
		name string
		got  int64
		q    string
	}{
		{"totalAllPackets", rf.TotalAllPackets, `SELECT count(*)` + join},
		{"totalPackets", rf.TotalPackets, `SELECT count(*)` + join + ` WHERE o.snr IS NOT NULL`},
		{"totalTransmissions", rf.TotalTransmissions, `SELECT count(DISTINCT o.transmission_id)` + join},
	}
	for _, w := range want {
		if n := sqlInt(t, d, w.q); w.got != n || (n == 0 && w.name == "totalAllPackets") {
			t.Errorf("%s = %d, SQL says %d", w.name, w.got, n)
		}
	}
	var binSum int64
	for _, b := range rf.SNRValues.Bins {
		binSum += b.Count
	}
	if binSum != rf.TotalPackets {
		t.Errorf("snrValues bins hold %d, want totalPackets %d", binSum, rf.TotalPackets)
	}
	hours := sqlCounts(t, d, `SELECT strftime('%Y-%m-%dT%H', o.timestamp, 'unixepoch'), count(*)`+join+` GROUP BY 1`)
	if len(rf.PacketsPerHour) != len(hours) {
		t.Errorf("%d hours, SQL says %d", len(rf.PacketsPerHour), len(hours))
	}
	for _, h := range rf.PacketsPerHour {
		if hours[h.Hour] != h.Count {
			t.Errorf("hour %s: %d observations, SQL says %d", h.Hour, h.Count, hours[h.Hour])
		}
	}
	types := sqlCounts(t, d, `SELECT COALESCE(payload_type, -1), count(*) FROM transmissions t
WHERE EXISTS (SELECT 1 FROM observations o WHERE o.transmission_id = t.id) GROUP BY 1`)
	if len(rf.PayloadTypes) != len(types) {
		t.Errorf("%d payload types, SQL says %d", len(rf.PayloadTypes), len(types))
	}
	for _, pt := range rf.PayloadTypes {
		k := "-1"
		if pt.Type != nil {
			k = strconv.Itoa(*pt.Type)
		}
		if types[k] != pt.Count {
			t.Errorf("payload type %s: %d transmissions, SQL says %d", k, pt.Count, types[k])
		}
	}
}

// checkRFRegion: with a region only that region's observers' observations count.
func checkRFRegion(t *testing.T, base string, d *sql.DB) {
	iata := sqlCounts(t, d, `SELECT upper(iata), count(*) FROM observers WHERE iata IS NOT NULL AND iata != '' GROUP BY 1`)
	if len(iata) == 0 {
		t.Skip("no observer with an IATA code")
	}
	for code := range iata {
		var rf rfBody
		getJSON(t, base+"/api/analytics/rf?region="+url.QueryEscape(code), 200, &rf)
		q := `SELECT count(*) FROM observations o JOIN transmissions t ON t.id = o.transmission_id
JOIN observers b ON b.rowid = o.observer_idx WHERE upper(b.iata) = ?`
		if n := sqlInt(t, d, q, code); rf.TotalAllPackets != n {
			t.Errorf("region %s: totalAllPackets %d, SQL says %d", code, rf.TotalAllPackets, n)
		}
		return
	}
}

func checkHops(t *testing.T, base string, d *sql.DB) {
	var topo struct {
		MaxHops         int `json:"maxHops"`
		HopDistribution []struct {
			Hops  int   `json:"hops"`
			Count int64 `json:"count"`
		} `json:"hopDistribution"`
	}
	getJSON(t, base+"/api/analytics/topology", 200, &topo)
	// Each transmission counts once, with its longest observed path.
	want := sqlCounts(t, d, `SELECT h, count(*) FROM (SELECT max(json_array_length(o.path_json)) AS h
FROM observations o JOIN transmissions t ON t.id = o.transmission_id GROUP BY o.transmission_id)
WHERE h > 0 AND h <= 25 GROUP BY h`)
	if len(topo.HopDistribution) != len(want) || len(want) == 0 {
		t.Errorf("%d hop buckets, SQL says %d", len(topo.HopDistribution), len(want))
	}
	for _, h := range topo.HopDistribution {
		if w := want[strconv.Itoa(h.Hops)]; w != h.Count {
			t.Errorf("%d hops: %d transmissions, SQL says %d", h.Hops, h.Count, w)
		}
	}
	maxH := sqlInt(t, d, `SELECT COALESCE(max(json_array_length(path_json)), 0) FROM observations o JOIN transmissions t ON t.id = o.transmission_id`)
	if int64(topo.MaxHops) != maxH {
		t.Errorf("maxHops %d, SQL says %d", topo.MaxHops, maxH)
	}
}

func checkChannels(t *testing.T, base string, d *sql.DB) {
	var ch struct {
		ActiveChannels int `json:"activeChannels"`
		Channels       []struct {
			Name      string `json:"name"`
			Messages  int64  `json:"messages"`
			Encrypted bool   `json:"encrypted"`
		} `json:"channels"`
	}
	getJSON(t, base+"/api/analytics/channels", 200, &ch)
	want := sqlCounts(t, d, `SELECT CASE WHEN channel_hash IS NULL OR channel_hash = '' OR channel_hash LIKE 'enc\_%' ESCAPE '\'
    THEN 'ch' || json_extract(decoded_json, '$.channelHash') ELSE channel_hash END, count(*)
FROM transmissions t WHERE payload_type = 5 AND EXISTS (SELECT 1 FROM observations o WHERE o.transmission_id = t.id) GROUP BY 1`)
	if ch.ActiveChannels != len(want) || len(want) == 0 {
		t.Errorf("activeChannels %d, SQL says %d", ch.ActiveChannels, len(want))
	}
	for _, c := range ch.Channels {
		if want[c.Name] != c.Messages {
			t.Errorf("channel %q: %d messages, SQL says %d", c.Name, c.Messages, want[c.Name])
		}
	}
}

// checkHashSizes re-derives each transmission's path-hash size from its raw
// bytes with a naive parser of the packet layout (PROTOCOL.md §1).
func checkHashSizes(t *testing.T, base string, d *sql.DB) {
	var hs struct {
		Total        int64            `json:"total"`
		Distribution map[string]int64 `json:"distribution"`
	}
	getJSON(t, base+"/api/analytics/hash-sizes", 200, &hs)
	rows, err := d.Query(`SELECT raw_hex FROM transmissions t WHERE EXISTS (SELECT 1 FROM observations o WHERE o.transmission_id = t.id)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[string]int64{"1": 0, "2": 0, "3": 0}
	var total int64
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		raw, err := hex.DecodeString(h)
		if err != nil || len(raw) < 2 {
			continue
		}
		header := raw[0]
		if (header>>2)&0x0F == 9 { // TRACE: the path holds SNRs
			continue
		}
		i := 1
		if rt := header & 3; rt == 0 || rt == 3 {
			i += 4
		}
		if i >= len(raw) {
			continue
		}
		size, count := int(raw[i]>>6)+1, raw[i]&0x3F
		if count == 0 || size > 3 {
			continue
		}
		total++
		want[strconv.Itoa(size)]++
	}
	if hs.Total != total || total == 0 {
		t.Errorf("total %d, naive count %d", hs.Total, total)
	}
	for k, n := range want {
		if hs.Distribution[k] != n {
			t.Errorf("size %s: %d, naive count %d", k, hs.Distribution[k], n)
		}
	}
}

func checkScopeStats(t *testing.T, base string, d *sql.DB) {
	var sc struct {
		Summary struct {
			TransportTotal int64 `json:"transportTotal"`
			Scoped         int64 `json:"scoped"`
			Unscoped       int64 `json:"unscoped"`
		} `json:"summary"`
		TimeSeries []struct {
			Scoped   int64 `json:"scoped"`
			Unscoped int64 `json:"unscoped"`
		} `json:"timeSeries"`
	}
	getJSON(t, base+"/api/scope-stats?window=7d", 200, &sc)
	since := time.Now().Add(-7 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05Z")
	q := `SELECT count(*) FROM transmissions WHERE route_type IN (0, 3) AND first_seen >= ?`
	total := sqlInt(t, d, q, since)
	scoped := sqlInt(t, d, q+` AND scope_name IS NOT NULL`, since)
	if sc.Summary.TransportTotal != total || sc.Summary.Scoped != scoped || sc.Summary.Unscoped != total-scoped {
		t.Errorf("summary %+v, SQL says total %d scoped %d", sc.Summary, total, scoped)
	}
	var inSeries int64
	for _, b := range sc.TimeSeries {
		inSeries += b.Scoped + b.Unscoped
	}
	if inSeries != total {
		t.Errorf("time series holds %d, want %d", inSeries, total)
	}
	if len(sc.TimeSeries) < 28 {
		t.Errorf("%d buckets for 7 d of 6 h, want ≥ 28", len(sc.TimeSeries))
	}
}
