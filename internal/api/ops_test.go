package api

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/metrics/metricstest"
)

// syncBuf is a goroutine-safe log sink.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestSilentObservers: with an injected clock, an observer that sends
// packets is forwarding, one whose status still arrives without packets is
// not_forwarding, one that sends nothing is silent — in /api/observers,
// /api/health and /metrics alike; one threshold later the forwarding one is
// silent everywhere, and the transition is logged once.
func TestSilentObservers(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "meshcore.db")
	w, err := db.OpenWriter(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fwd, notFwd, silent := strings.Repeat("A1", 32), strings.Repeat("B2", 32), strings.Repeat("C3", 32)
	b := db.Batch{Observers: []db.ObserverUpsert{
		{ID: fwd, Name: "fwd", IATA: "SEA", Seen: t0.Add(-1 * time.Minute), Packet: true},
		{ID: notFwd, Name: "alive", IATA: "SEA", Seen: t0.Add(-30 * time.Minute), Packet: true},
		{ID: notFwd, Seen: t0.Add(-2 * time.Minute)}, // a live status message
		{ID: silent, Name: "gone", IATA: "PDX", Seen: t0.Add(-40 * time.Minute), Packet: true},
	}}
	if _, err := w.WriteBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	w.Close()

	var nowMs atomic.Int64
	nowMs.Store(t0.UnixMilli())
	clock := func() time.Time { return time.UnixMilli(nowMs.Load()).UTC() }
	logs := &syncBuf{}
	st := runStore(t, path, clock)
	srv, ts := newServer(t, testConfig(nil), st, func(o *Options) {
		o.Now = clock
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})

	check := func(label string, want map[string]string, counts [3]int) {
		t.Helper()
		var list struct {
			Observers []struct {
				ID           string `json:"id"`
				PacketHealth string `json:"packet_health"`
			} `json:"observers"`
		}
		// A query string bypasses the 30 s observers cache, which runs on
		// the monotonic clock, not the injected one.
		getJSON(t, ts.URL+"/api/observers?at="+label, 200, &list)
		got := map[string]string{}
		for _, o := range list.Observers {
			got[o.ID] = o.PacketHealth
		}
		for id, h := range want {
			if got[id] != h {
				t.Errorf("%s: /api/observers %s… packet_health = %q, want %q", label, id[:4], got[id], h)
			}
		}
		var one struct {
			PacketHealth string `json:"packet_health"`
		}
		getJSON(t, ts.URL+"/api/observers/"+fwd, 200, &one)
		if one.PacketHealth != want[fwd] {
			t.Errorf("%s: /api/observers/{id} packet_health = %q, want %q", label, one.PacketHealth, want[fwd])
		}
		var h struct {
			Observers struct {
				Total, Forwarding, NotForwarding, Silent int
				SilentMinutes                            float64
			} `json:"observers"`
		}
		getJSON(t, ts.URL+"/api/health", 200, &h)
		if o := h.Observers; o.Total != 3 || o.Forwarding != counts[0] || o.NotForwarding != counts[1] || o.Silent != counts[2] || o.SilentMinutes != 15 {
			t.Errorf("%s: /api/health observers = %+v, want 3 = %v", label, o, counts)
		}
		f := metricstest.Scrape(t, ts.URL+"/metrics")
		for i, name := range []string{"forwarding", "not_forwarding", "silent"} {
			if v, ok := f.Value("corescope_observers", map[string]string{"health": name}); !ok || int(v) != counts[i] {
				t.Errorf("%s: corescope_observers{health=%q} = %v (%v), want %d", label, name, v, ok, counts[i])
			}
		}
		// Ages against the injected clock, computed from the rows written above.
		wantAge := clock().Sub(t0.Add(-1 * time.Minute)).Seconds()
		if v, _ := f.Value("corescope_observer_last_packet_age_seconds", map[string]string{"observer": fwd}); v != wantAge {
			t.Errorf("%s: last packet age of the forwarding observer = %v, want %v", label, v, wantAge)
		}
		if v, _ := f.Value("corescope_observer_last_seen_age_seconds", map[string]string{"observer": notFwd}); v != clock().Sub(t0.Add(-2*time.Minute)).Seconds() {
			t.Errorf("%s: last seen age of the status-only observer = %v", label, v)
		}
	}

	check("t0", map[string]string{fwd: "forwarding", notFwd: "not_forwarding", silent: "silent"}, [3]int{1, 1, 1})
	prev := srv.watchObservers(nil, clock())
	if n := strings.Count(logs.String(), "observer packet health changed"); n != 0 {
		t.Errorf("first pass logged %d transitions, want a summary only", n)
	}

	// One threshold later the forwarding observer's last packet is 16 min old.
	nowMs.Add((15 * time.Minute).Milliseconds())
	check("t0+15m", map[string]string{fwd: "silent", notFwd: "silent", silent: "silent"}, [3]int{0, 0, 3})
	prev = srv.watchObservers(prev, clock())
	srv.watchObservers(prev, clock()) // no change: no second line
	out := logs.String()
	if n := strings.Count(out, "observer packet health changed"); n != 2 {
		t.Errorf("want 2 transition lines (fwd and alive became silent), got %d:\n%s", n, out)
	}
	if !strings.Contains(out, "observer="+fwd[:8]) || !strings.Contains(out, "to=silent") {
		t.Errorf("transition line lacks observer/state:\n%s", out)
	}
}

// TestServerMetricsRouteTemplates: request metrics are labelled with the
// mux route template, never the raw path, and every family parses.
func TestServerMetricsRouteTemplates(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	_, ts := newServer(t, testConfig(func(c *config.Config) {}), st, nil)
	pk := "deadbeefdeadbeef"
	for range 3 {
		fetch(t, "GET", ts.URL+"/api/nodes/"+pk, "", nil)
	}
	fetch(t, "GET", ts.URL+"/api/stats", "", nil)
	f := metricstest.Scrape(t, ts.URL+"/metrics")
	if v, ok := f.Value("corescope_http_request_duration_seconds", map[string]string{"route": "/api/nodes/{pubkey}"}); !ok || v != 3 {
		t.Errorf("duration histogram for /api/nodes/{pubkey}: %v samples (%v), want 3", v, ok)
	}
	if v, _ := f.Value("corescope_http_responses_total", map[string]string{"route": "/api/nodes/{pubkey}", "class": "4xx"}); v != 3 {
		t.Errorf("4xx responses for the unknown node = %v, want 3", v)
	}
	if v, _ := f.Value("corescope_http_responses_total", map[string]string{"route": "/api/stats", "class": "2xx"}); v != 1 {
		t.Errorf("2xx responses for /api/stats = %v, want 1", v)
	}
	for _, l := range f.Labels("corescope_http_responses_total") {
		if strings.Contains(l["route"], pk) {
			t.Errorf("raw path in a route label: %v", l)
		}
	}
	m := st.Memory()
	if v, _ := f.Value("corescope_store_transmissions", nil); int(v) != m.Transmissions || v == 0 {
		t.Errorf("store_transmissions = %v, store has %d", v, m.Transmissions)
	}
	if v, _ := f.Value("corescope_store_ready", nil); v != 1 {
		t.Errorf("store_ready = %v", v)
	}
	if v, ok := f.Value("corescope_store_sync_lag_seconds", nil); !ok || v > 30 {
		t.Errorf("sync lag = %v (%v)", v, ok)
	}
	if _, ok := f.Value("corescope_store_load_progress_ratio", nil); !ok {
		t.Error("no load progress")
	}
}
