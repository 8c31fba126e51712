package ingest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshcore"
	"github.com/corescope/corescope/internal/meshsim"
	"github.com/corescope/corescope/internal/mqtttest"
)

// TestObserverDenyAndAllowLists: a denied observer's packets and status are
// not stored (no observer row either), an observer missing from the allow
// list is refused too, and both are counted as observer_denied.
func TestObserverDenyAndAllowLists(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	denied := "DEAD" + strings.Repeat("01", 30)
	outside := "CD" + strings.Repeat("02", 31)
	ok := "ab" + strings.Repeat("03", 31) // allow-list prefixes match case-insensitively
	ing := ingesttest.Start(t, b.URL, dbPath, func(c *config.Config) {
		c.Sources[0].ObserverAllow = []string{"AB", "dead"}
		c.Sources[0].ObserverDeny = []string{"dEaD"}
	})
	var msgs []ingesttest.Message
	for i := range 20 {
		msgs = append(msgs, packetMsg("SEA", denied, "bad", uniqueTxt(i), 5, -90))
		msgs = append(msgs, packetMsg("SEA", outside, "other", uniqueTxt(100+i), 5, -90))
		msgs = append(msgs, packetMsg("SEA", ok, "good", uniqueTxt(200+i), 5, -90))
	}
	msgs = append(msgs, statusMsg("SEA", denied, "bad", 4000), statusMsg("SEA", ok, "good", 4000))
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))
	ing.Stop()

	d := openRO(t, dbPath)
	if n := count(t, d, "SELECT COUNT(*) FROM observers WHERE upper(id) IN (upper(?), upper(?))", denied, outside); n != 0 {
		t.Errorf("%d refused observers stored", n)
	}
	if n := count(t, d, "SELECT COUNT(*) FROM observations o JOIN observers ob ON ob.idx = o.observer_idx WHERE ob.id = ?", ok); n != 20 {
		t.Errorf("allowed observer has %d observations, want 20", n)
	}
	if n := count(t, d, "SELECT COUNT(*) FROM observations"); n != 20 {
		t.Errorf("%d observations stored, want only the allowed observer's 20", n)
	}
	if got := ing.Stats().Drops["observer_denied"]; got != 41 {
		t.Errorf("observer_denied = %d, want 41 (20+1 denied, 20 outside the allow-list)", got)
	}
}

// TestFloodingObserverDoesNotDelayOthers floods from one observer at 20×
// its rate limit while three others send at a radio's pace: every packet of
// the others is stored within 1 s of its publish, the flood is cut to about
// burst + rate × time, and the excess is counted for that observer only.
func TestFloodingObserverDoesNotDelayOthers(t *testing.T) {
	const rate, burst = 50, 500
	const floodPerSec = 20 * rate
	const dur = 3 * time.Second
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath, func(c *config.Config) {
		c.ObserverRateLimit = config.RateLimit{PacketsPerSec: rate, Burst: burst}
	})
	flooder := "F100" + strings.Repeat("D0", 30)
	victims := []string{"A100" + strings.Repeat("11", 30), "A200" + strings.Repeat("22", 30), "A300" + strings.Repeat("33", 30)}

	d := openRO(t, dbPath)
	var mu sync.Mutex
	published := map[string]time.Time{} // victim packet hash-source raw → publish time
	seen := map[string]time.Time{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pollDone := make(chan struct{})
	go func() { // records when each victim packet's row appears
		defer close(pollDone)
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
			rows, err := d.QueryContext(ctx, `SELECT t.raw_hex FROM observations o JOIN transmissions t ON t.id = o.transmission_id
				JOIN observers ob ON ob.idx = o.observer_idx WHERE ob.id <> ?`, flooder)
			if err != nil {
				continue
			}
			now := time.Now()
			mu.Lock()
			for rows.Next() {
				var raw string
				if rows.Scan(&raw) == nil {
					if _, ok := seen[raw]; !ok {
						seen[raw] = now
					}
				}
			}
			mu.Unlock()
			rows.Close()
		}
	}()

	floodC, victimC := dialPub(t, b.URL, "flood"), dialPub(t, b.URL, "victims")
	start := time.Now()
	var wg sync.WaitGroup
	floodSent := 0
	wg.Add(1)
	go func() { // 10 messages every 10 ms = 1000/s, QoS 0 like a bridge
		defer wg.Done()
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for time.Since(start) < dur {
			<-tk.C
			for range floodPerSec / 100 {
				m := packetMsg("SEA", flooder, "flood", uniqueTxt(10000+floodSent), 1, -100)
				floodC.Publish(m.Topic, 0, false, m.Payload)
				floodSent++
			}
		}
	}()
	n := 0
	tk := time.NewTicker(100 * time.Millisecond) // each victim: 10 packets/s
	for time.Since(start) < dur {
		<-tk.C
		for _, v := range victims {
			raw := uniqueTxt(n)
			n++
			m := packetMsg("SEA", v, "victim", raw, 5, -80)
			mu.Lock()
			published[raw] = time.Now()
			mu.Unlock()
			if tok := victimC.Publish(m.Topic, 1, false, m.Payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
				t.Fatalf("victim publish: %v", tok.Error())
			}
		}
	}
	tk.Stop()
	wg.Wait()
	elapsed := time.Since(start)
	// Let the last packets land, then stop polling.
	wait := 3 * time.Second
	if raceEnabled {
		wait = 30 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		mu.Lock()
		got := len(seen)
		mu.Unlock()
		if got >= len(published) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-pollDone

	var worst time.Duration
	for raw, at := range published {
		s, ok := seen[raw]
		if !ok {
			t.Errorf("victim packet %s… never stored", raw[:12])
			continue
		}
		worst = max(worst, s.Sub(at))
	}
	t.Logf("flood: %d messages in %v; victims: %d packets, worst publish→row %v", floodSent, elapsed, len(published), worst)
	if worst > time.Second && !raceEnabled {
		t.Errorf("worst victim publish→row latency %v, want ≤ 1 s", worst)
	}
	stored := count(t, d, "SELECT COUNT(*) FROM observations o JOIN observers ob ON ob.idx = o.observer_idx WHERE ob.id = ?", flooder)
	maxStored := burst + int(rate*(elapsed.Seconds()+1))
	if stored > maxStored {
		t.Errorf("flooder stored %d packets, want at most %d (burst + rate × time)", stored, maxStored)
	}
	if raceEnabled && floodSent < 2*maxStored {
		t.Logf("race detector: the publisher managed only %d flood messages; rate-limit counts not checked", floodSent)
		return
	}
	st := ing.Stats()
	if len(st.RateLimited) != 1 || st.RateLimited[0].Observer != flooder {
		t.Fatalf("rate-limited observers = %+v, want only the flooder", st.RateLimited)
	}
	if dropped := st.RateLimited[0].Dropped; dropped == 0 || dropped != st.Drops["rate_limited"] {
		t.Errorf("flooder dropped %d, rate_limited total %d", dropped, st.Drops["rate_limited"])
	}
}

func dialPub(t *testing.T, url, name string) mqtt.Client {
	t.Helper()
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("%s-%d", name, time.Now().UnixNano())).
		SetCleanSession(true).SetMaxResumePubInFlight(2000)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", name, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// TestSourceAdvertGeoFilter: a source's advertGeoFilter drops that source's
// adverts located outside it (counted as geo_filtered) and keeps the other
// packets; no node outside the area is stored. Expectations come from
// decoding the published adverts in the test.
func TestSourceAdvertGeoFilter(t *testing.T) {
	sim := meshsim.New(meshsim.Options{Seed: 31, Nodes: 30, Observers: 2,
		End: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Duration: time.Hour})
	good := sim.Generate(300)
	// A box off the coast of Africa: every meshsim position is outside it.
	latMin, latMax, lonMin, lonMax := 1.0, 2.0, 1.0, 2.0
	outside, packets := 0, 0
	for _, m := range good {
		if m.Kind != meshsim.KindPacket {
			continue
		}
		packets++
		p, err := meshcore.DecodeHex(m.Raw, meshcore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := p.Advert(); ok && a.HasLocation && !(a.Lat == 0 && a.Lon == 0) &&
			(a.Lat < latMin || a.Lat > latMax || a.Lon < lonMin || a.Lon > lonMax) {
			outside++
		}
	}
	if outside == 0 {
		t.Fatal("workload has no located advert")
	}
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath, func(c *config.Config) {
		c.Sources[0].AdvertGeoFilter = &config.GeoFilter{LatMin: &latMin, LatMax: &latMax, LonMin: &lonMin, LonMax: &lonMax}
	})
	ingesttest.Publish(t, b.URL, toMessages(good))
	ing.WaitAcked(t, uint64(len(good)))
	st := ing.Stats()
	ing.Stop()
	if got := st.Drops["geo_filtered"]; int(got) != outside {
		t.Errorf("geo_filtered = %d, want %d located adverts outside the box", got, outside)
	}
	d := openRO(t, dbPath)
	if n := count(t, d, "SELECT COUNT(*) FROM nodes WHERE lat IS NOT NULL AND NOT (lat = 0 AND lon = 0)"); n != 0 {
		t.Errorf("%d nodes with a position outside the filter stored", n)
	}
	if n := count(t, d, "SELECT COUNT(*) FROM observations"); n == 0 || n > packets-outside {
		t.Errorf("%d observations stored, want the %d non-filtered packets at most (and some)", n, packets-outside)
	}
}
