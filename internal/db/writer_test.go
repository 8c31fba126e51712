package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 17, 18, 0, 0, 0, time.UTC)

func packet(hash, observer, path string, at time.Time) (Transmission, Observation) {
	return Transmission{RawHex: "0a00" + hash, Hash: hash, FirstSeen: at, RouteType: 1, PayloadType: 4, DecodedJSON: `{"type":"ADVERT"}`},
		Observation{TxHash: hash, ObserverID: observer, Direction: "rx", SNR: ptr(7.5), RSSI: ptr(-96.0), PathJSON: path, Timestamp: at.Unix(), RawHex: "0a00" + hash}
}

func TestWriteBatchDeduplicates(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, fixedClock("2026-05-17T18:00:00Z"))
	var b Batch
	b.Observers = []ObserverUpsert{{ID: "OBS1", Name: "one", IATA: "sjc", Seen: t0, Packet: true}, {ID: "OBS2", Seen: t0, Packet: true}}
	tx, o1 := packet("aaaa000000000001", "OBS1", `["AB"]`, t0)
	_, o2 := packet("aaaa000000000001", "OBS2", `["AB"]`, t0)
	_, o3 := packet("aaaa000000000001", "OBS1", `["CD","AB"]`, t0) // same observer, other path: new
	_, o4 := packet("aaaa000000000001", "OBS1", `["AB"]`, t0)      // exact repeat: duplicate
	b.Transmissions = []Transmission{tx, tx}
	b.Observations = []Observation{o1, o2, o3, o4}
	res, err := w.WriteBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{NewTransmissions: 1, DuplicateTransmissions: 1, NewObservations: 3, DuplicateObservations: 1, ObserverUpserts: 2}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Errorf("first batch: got %+v, want %+v", res, want)
	}
	// The same packet again in a later batch (e.g. a second broker): all duplicates.
	res, err = w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx}, Observations: []Observation{o1, o2}})
	if err != nil {
		t.Fatal(err)
	}
	want = Result{DuplicateTransmissions: 1, DuplicateObservations: 2}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Errorf("second batch: got %+v, want %+v", res, want)
	}
	db := w.DB()
	if n := queryInt(t, db, "SELECT count(*) FROM transmissions"); n != 1 {
		t.Errorf("transmissions = %d, want 1", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM observations"); n != 3 {
		t.Errorf("observations = %d, want 3", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM observations WHERE observer_idx IS NULL"); n != 0 {
		t.Errorf("%d observations without observer_idx; observers must be upserted first", n)
	}
	if got := queryString(t, db, "SELECT b.id FROM observations o JOIN observers b ON b.idx = o.observer_idx WHERE o.path_json = '[\"CD\",\"AB\"]'"); got != "OBS1" {
		t.Errorf("observation points at observer %q, want OBS1", got)
	}
	if got := queryString(t, db, "SELECT first_seen || ' ' || created_at || ' ' || raw_hex FROM transmissions"); got != "2026-05-17T18:00:00Z 2026-05-17T18:00:00Z 0a00aaaa000000000001" {
		t.Errorf("transmission row = %q", got)
	}
	if got := queryString(t, db, "SELECT iata || ' ' || packet_count FROM observers WHERE id = 'OBS1'"); got != "SJC 1" {
		t.Errorf("observer iata/packet_count = %q, want \"SJC 1\"", got)
	}
}

func TestWriteBatchDuplicateOfStoredTransmissionAfterRestart(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/m.db"
	w, err := OpenWriter(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tx, o := packet("bbbb000000000001", "", "[]", t0)
	if _, err := w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx}, Observations: []Observation{o}}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// A new writer has an empty cache: the duplicate is found through the index.
	w, err = OpenWriter(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res, err := w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx}, Observations: []Observation{o}})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewTransmissions != 0 || res.DuplicateTransmissions != 1 || res.NewObservations != 1 {
		// NULL observer_idx is never de-duplicated (SQLite NULLs are distinct).
		t.Errorf("got %+v, want 1 duplicate transmission and 1 new observation", res)
	}
}

func TestWriteBatchRejectsBadRowsAndKeepsTheRest(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, nil)
	good, goodObs := packet("cccc000000000001", "OBS1", "[]", t0)
	bad := good
	bad.Hash = ""
	b := Batch{
		Observers:     []ObserverUpsert{{ID: ""}, {ID: "OBS1", Seen: t0, Packet: true}},
		Transmissions: []Transmission{bad, good},
		Observations: []Observation{
			{TxHash: "", Timestamp: 1},
			goodObs,
			{TxHash: "ffff000000000000", Timestamp: t0.Unix()}, // unknown transmission
			{TxHash: good.Hash, Timestamp: t0.Unix(), SNR: ptr(1.0), ObserverID: "OBS1", PathJSON: "[\"01\"]", RSSI: ptr(nan())},
		},
		Nodes:   []NodeUpsert{{PublicKey: "", Seen: t0}, {PublicKey: "ab", Seen: t0, Lat: ptr(91.0), Lon: ptr(0.0)}},
		Metrics: []Metrics{{ObserverID: "", At: t0}},
		Dropped: []Dropped{{Reason: ""}, {Reason: "bad signature", Hash: "dd"}},
	}
	res, err := w.WriteBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.NewTransmissions != 1 || res.NewObservations != 1 || res.ObserverUpserts != 1 || res.Dropped != 1 {
		t.Errorf("good rows not all written: %+v", res)
	}
	type key struct {
		k RowKind
		i int
	}
	got := map[key]bool{}
	for _, r := range res.Rejected {
		got[key{r.Kind, r.Index}] = true
		if !errors.Is(r, ErrInvalidRow) {
			t.Errorf("%v: not ErrInvalidRow", r)
		}
	}
	for _, k := range []key{{KindObserver, 0}, {KindTransmission, 0}, {KindObservation, 0}, {KindObservation, 2},
		{KindObservation, 3}, {KindNode, 0}, {KindNode, 1}, {KindMetrics, 0}, {KindDropped, 0}} {
		if !got[k] {
			t.Errorf("%s[%d] not rejected; rejected = %v", k.k, k.i, res.Rejected)
		}
	}
	if len(res.Rejected) != 9 {
		t.Errorf("rejected %d rows, want 9: %v", len(res.Rejected), res.Rejected)
	}
}

func nan() float64 { z := 0.0; return z / z }

func TestNodeUpsertRules(t *testing.T) {
	ctx := context.Background()
	now := t0.Add(time.Hour)
	w := mustOpen(t, func() time.Time { return now })
	pk := "ABCDEF0123"
	advert := func(hash, name string, seen time.Time, lat, lon *float64) Batch {
		tx, _ := packet(hash, "", "[]", seen)
		return Batch{Transmissions: []Transmission{tx}, Nodes: []NodeUpsert{{PublicKey: pk, Name: name, Role: "repeater",
			Lat: lat, Lon: lon, Seen: seen, AdvertHash: hash, BatteryMv: ptr(4100)}}}
	}
	mustWrite := func(b Batch) {
		t.Helper()
		res, err := w.WriteBatch(ctx, b)
		if err != nil || len(res.Rejected) > 0 {
			t.Fatalf("WriteBatch: %v %v", err, res.Rejected)
		}
	}
	row := func() string {
		return queryString(t, w.DB(), "SELECT name||'|'||role||'|'||lat||'|'||lon||'|'||last_seen||'|'||first_seen||'|'||advert_count||'|'||battery_mv FROM nodes WHERE public_key = 'abcdef0123'")
	}
	mustWrite(advert("n000000000000001", "Hilltop", t0, ptr(37.5), ptr(-122.1)))
	// The same advert heard again (other observer): not a new advert.
	b := advert("n000000000000001", "Hilltop", t0.Add(time.Minute), ptr(37.5), ptr(-122.1))
	mustWrite(b)
	if got, want := row(), "Hilltop|repeater|37.5|-122.1|2026-05-17T18:01:00Z|2026-05-17T18:00:00Z|1|4100"; got != want {
		t.Fatalf("after repeat: %s, want %s", got, want)
	}
	// A new advert without name or position, carrying an older time: keeps
	// the known name, position and last_seen (never backwards), counts.
	mustWrite(advert("n000000000000002", "", t0, nil, nil))
	if got, want := row(), "Hilltop|repeater|37.5|-122.1|2026-05-17T18:01:00Z|2026-05-17T18:00:00Z|2|4100"; got != want {
		t.Fatalf("after empty advert: %s, want %s", got, want)
	}
	// A stored time in the future is clamped to now before the max.
	if _, err := w.DB().Exec("UPDATE nodes SET last_seen = '2030-01-01T00:00:00Z'"); err != nil {
		t.Fatal(err)
	}
	mustWrite(advert("n000000000000003", "Hilltop2", t0.Add(2*time.Minute), ptr(1.0), ptr(2.0)))
	if got, want := row(), "Hilltop2|repeater|1.0|2.0|2026-05-17T19:00:00Z|2026-05-17T18:00:00Z|3|4100"; got != want {
		t.Fatalf("after future clamp: %s, want %s", got, want)
	}
	// Two receptions of one new advert in the same batch count once.
	b = advert("n000000000000004", "Hilltop2", now, nil, nil)
	b.Nodes = append(b.Nodes, b.Nodes[0])
	mustWrite(b)
	if n := queryInt(t, w.DB(), "SELECT advert_count FROM nodes"); n != 4 {
		t.Errorf("advert_count = %d, want 4", n)
	}
}

func TestNodeRevivedFromInactiveKeepsHistory(t *testing.T) {
	ctx := context.Background()
	now := t0
	w := mustOpen(t, func() time.Time { return now })
	tx, _ := packet("r000000000000001", "", "[]", t0)
	if _, err := w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx},
		Nodes: []NodeUpsert{{PublicKey: "feed", Name: "Old", Seen: t0, AdvertHash: tx.Hash}}}); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(10 * 24 * time.Hour)
	pr, err := w.Prune(ctx, Retention{NodeDays: 7}, now)
	if err != nil || pr.NodesMoved != 1 {
		t.Fatalf("Prune: %+v %v, want 1 node moved", pr, err)
	}
	if n := queryInt(t, w.DB(), "SELECT count(*) FROM inactive_nodes WHERE public_key = 'feed'"); n != 1 {
		t.Fatalf("node not in inactive_nodes")
	}
	tx2, _ := packet("r000000000000002", "", "[]", now)
	if _, err := w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx2},
		Nodes: []NodeUpsert{{PublicKey: "feed", Seen: now, AdvertHash: tx2.Hash}}}); err != nil {
		t.Fatal(err)
	}
	if got, want := queryString(t, w.DB(), "SELECT name||'|'||first_seen||'|'||last_seen||'|'||advert_count FROM nodes WHERE public_key = 'feed'"),
		"Old|2026-05-17T18:00:00Z|2026-05-27T18:00:00Z|2"; got != want {
		t.Errorf("revived node = %s, want %s", got, want)
	}
	if n := queryInt(t, w.DB(), "SELECT count(*) FROM inactive_nodes"); n != 0 {
		t.Errorf("node still in inactive_nodes")
	}
}

func TestObserverUpsertRules(t *testing.T) {
	ctx := context.Background()
	now := t0
	w := mustOpen(t, func() time.Time { return now })
	write := func(o ...ObserverUpsert) {
		t.Helper()
		if res, err := w.WriteBatch(ctx, Batch{Observers: o}); err != nil || len(res.Rejected) > 0 {
			t.Fatalf("WriteBatch: %v %v", err, res.Rejected)
		}
	}
	row := func() string {
		return queryString(t, w.DB(), `SELECT name||'|'||iata||'|'||last_seen||'|'||first_seen||'|'||packet_count||'|'||
COALESCE(model,'-')||'|'||COALESCE(battery_mv,'-')||'|'||COALESCE(noise_floor,'-')||'|'||inactive||'|'||COALESCE(last_packet_at,'-')||'|'||
COALESCE(clock_skew_seconds,'-')||'|'||clock_skew_count_24h FROM observers WHERE id = 'O1'`)
	}
	write(ObserverUpsert{ID: "O1", Name: "Roof", IATA: " oak ", Seen: t0, Model: "Heltec V3", BatteryMv: ptr(4000), NoiseFloor: ptr(-110.5)})
	if got, want := row(), "Roof|OAK|2026-05-17T18:00:00Z|2026-05-17T18:00:00Z|0|Heltec V3|4000|-110.5|0|-|-|0"; got != want {
		t.Fatalf("status insert: %s, want %s", got, want)
	}
	// A packet without origin/region/meta: keeps them; counts the packet.
	now = t0.Add(time.Minute)
	write(ObserverUpsert{ID: "O1", Seen: now, Packet: true})
	if got, want := row(), "Roof|OAK|2026-05-17T18:01:00Z|2026-05-17T18:00:00Z|1|Heltec V3|4000|-110.5|0|2026-05-17T18:01:00Z|-|0"; got != want {
		t.Fatalf("packet: %s, want %s", got, want)
	}
	// Inactive observer with a retained status (Seen zero): row untouched
	// except metadata; it stays inactive and last_seen does not move.
	if _, err := w.DB().Exec("UPDATE observers SET inactive = 1"); err != nil {
		t.Fatal(err)
	}
	write(ObserverUpsert{ID: "O1", Model: "RAK"})
	if got, want := row(), "Roof|OAK|2026-05-17T18:01:00Z|2026-05-17T18:00:00Z|1|RAK|4000|-110.5|1|2026-05-17T18:01:00Z|-|0"; got != want {
		t.Fatalf("retained status: %s, want %s", got, want)
	}
	// Naive clock events: count within 24 h, reset after.
	now = t0.Add(2 * time.Minute)
	write(ObserverUpsert{ID: "O1", Seen: now, ClockSkewSeconds: ptr(int64(-3600))})
	write(ObserverUpsert{ID: "O1", Seen: now, ClockSkewSeconds: ptr(int64(-3601))})
	if got, want := row(), "Roof|OAK|2026-05-17T18:02:00Z|2026-05-17T18:00:00Z|1|RAK|4000|-110.5|0|2026-05-17T18:01:00Z|-3601|2"; got != want {
		t.Fatalf("clock skew: %s, want %s", got, want)
	}
	now = t0.Add(26 * time.Hour)
	write(ObserverUpsert{ID: "O1", Seen: now, ClockSkewSeconds: ptr(int64(7200))})
	if got := queryString(t, w.DB(), "SELECT clock_skew_count_24h||'|'||clock_last_naive_at FROM observers"); got != "1|2026-05-18T20:00:00Z" {
		t.Errorf("skew after a day = %s, want 1|2026-05-18T20:00:00Z", got)
	}
}

func TestMetricsAreBucketedLastWins(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, nil)
	at := time.Date(2026, 5, 17, 18, 2, 0, 0, time.UTC) // rounds to 18:00 with 300 s buckets
	_, err := w.WriteBatch(ctx, Batch{Metrics: []Metrics{
		{ObserverID: "O1", At: at, NoiseFloor: ptr(-100.0), PacketsRecv: ptr(int64(10))},
		{ObserverID: "O1", At: at.Add(20 * time.Second), NoiseFloor: ptr(-101.0), PacketsRecv: ptr(int64(12))},
		{ObserverID: "O1", At: at.Add(5 * time.Minute), NoiseFloor: ptr(-99.0)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := queryString(t, w.DB(), "SELECT group_concat(timestamp||'='||noise_floor||'/'||COALESCE(packets_recv,'-'), ' ') FROM (SELECT * FROM observer_metrics ORDER BY timestamp)"); got != "2026-05-17T18:00:00Z=-101.0/12 2026-05-17T18:05:00Z=-99.0/-" {
		t.Errorf("metrics = %s", got)
	}
}

func TestConcurrentBatches(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, nil)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				// Every goroutine writes the same 20 packets: exactly one wins each.
				tx, o := packet(fmt.Sprintf("c%015d", i), fmt.Sprintf("G%d", g), "[]", t0)
				if _, err := w.WriteBatch(ctx, Batch{Observers: []ObserverUpsert{{ID: o.ObserverID, Seen: t0, Packet: true}},
					Transmissions: []Transmission{tx}, Observations: []Observation{o}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := queryInt(t, w.DB(), "SELECT count(*) FROM transmissions"); n != 20 {
		t.Errorf("transmissions = %d, want 20", n)
	}
	if n := queryInt(t, w.DB(), "SELECT count(*) FROM observations"); n != 80 {
		t.Errorf("observations = %d, want 80", n)
	}
}

// TestMergedObserverUpsertsMatchSequential: WriteBatch folds a batch's upserts
// of one observer into one statement; the stored row must be what applying
// them one by one gives.
func TestMergedObserverUpsertsMatchSequential(t *testing.T) {
	ctx := context.Background()
	ups := []ObserverUpsert{
		{ID: "M", Name: "first", IATA: "sjc", Seen: t0, Packet: true},
		{ID: "M", Seen: t0.Add(3 * time.Second), Packet: true, Model: "Heltec"},
		{ID: "M", Name: "second", Seen: t0.Add(time.Second), BatteryMv: ptr(3900)},                 // status, older time
		{ID: "M", Seen: t0.Add(2 * time.Second), Packet: true, ClockSkewSeconds: ptr(int64(-900))}, // kept separate
		{ID: "M", Seen: t0.Add(4 * time.Second), Packet: true, NoiseFloor: ptr(-111.0)},
		{ID: "N", Seen: t0, Packet: true},
	}
	now := func() time.Time { return t0.Add(time.Minute) }
	merged := mustOpen(t, now)
	if _, err := merged.WriteBatch(ctx, Batch{Observers: ups}); err != nil {
		t.Fatal(err)
	}
	seq := mustOpen(t, now)
	for _, u := range ups {
		if _, err := seq.WriteBatch(ctx, Batch{Observers: []ObserverUpsert{u}}); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT group_concat(id||'|'||name||'|'||iata||'|'||last_seen||'|'||first_seen||'|'||packet_count||'|'||model||'|'||
battery_mv||'|'||noise_floor||'|'||last_packet_at||'|'||clock_skew_seconds||'|'||clock_skew_count_24h, ' / ') FROM (SELECT * FROM observers ORDER BY id)`
	a, b := queryString(t, merged.DB(), q), queryString(t, seq.DB(), q)
	if a != b {
		t.Errorf("merged:\n%s\nsequential:\n%s", a, b)
	}
	if !strings.Contains(a, "M|second|SJC|2026-05-17T18:00:04Z|2026-05-17T18:00:00Z|4|Heltec|3900|-111.0|2026-05-17T18:00:04Z|-900|1") {
		t.Errorf("unexpected merged row %s", a)
	}
}

// TestDatabaseFailureAbortsTheWholeBatch: a failure that is not about one row
// (here an error raised inside the database for every observation insert)
// must fail the batch, write nothing, and leave no stale ids in the cache.
func TestDatabaseFailureAbortsTheWholeBatch(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, nil)
	if _, err := w.DB().Exec("CREATE TRIGGER boom BEFORE INSERT ON observations BEGIN SELECT json('{'); END"); err != nil {
		t.Fatal(err)
	}
	tx, o := packet("f000000000000001", "OBS", "[]", t0)
	b := Batch{Observers: []ObserverUpsert{{ID: "OBS", Seen: t0, Packet: true}}, Transmissions: []Transmission{tx}, Observations: []Observation{o}}
	if _, err := w.WriteBatch(ctx, b); err == nil {
		t.Fatal("WriteBatch succeeded although every observation insert fails")
	}
	for _, tb := range []string{"transmissions", "observations", "observers"} {
		if n := queryInt(t, w.DB(), "SELECT count(*) FROM "+tb); n != 0 {
			t.Errorf("%s has %d rows after a failed batch, want 0", tb, n)
		}
	}
	if _, err := w.DB().Exec("DROP TRIGGER boom"); err != nil {
		t.Fatal(err)
	}
	res, err := w.WriteBatch(ctx, b)
	if err != nil || res.NewTransmissions != 1 || res.NewObservations != 1 {
		t.Fatalf("retry = %+v %v, want 1 new transmission and observation", res, err)
	}
	// A read-only database fails the batch too (the caller keeps the messages).
	if _, err := w.DB().Exec("PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	tx2, o2 := packet("f000000000000002", "OBS", "[]", t0)
	if _, err := w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx2}, Observations: []Observation{o2}}); err == nil {
		t.Error("WriteBatch on a read-only connection succeeded")
	}
	if _, err := w.DB().Exec("PRAGMA query_only = 0"); err != nil {
		t.Fatal(err)
	}
}

// The observer blacklist soft-deletes matching observers whatever the case,
// leaves the others active, and counts only rows it changed.
func TestDeactivateObservers(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, func() time.Time { return t0 })
	if _, err := w.WriteBatch(ctx, Batch{Observers: []ObserverUpsert{
		{ID: "AbCd01", Seen: t0}, {ID: "keep02", Seen: t0}, {ID: "gone03", Seen: t0},
	}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.DeactivateObservers(ctx, []string{" abcd01 ", "GONE03", "never-seen", ""})
	if err != nil || n != 2 {
		t.Fatalf("DeactivateObservers = %d, %v; want 2, nil", n, err)
	}
	if got := queryString(t, w.DB(), "SELECT group_concat(id||'='||inactive, ',') FROM (SELECT * FROM observers ORDER BY id)"); got != "AbCd01=1,gone03=1,keep02=0" {
		t.Errorf("observers after blacklist = %s", got)
	}
	if n, err := w.DeactivateObservers(ctx, []string{"abcd01"}); err != nil || n != 0 {
		t.Errorf("second run = %d, %v; want 0 (already inactive)", n, err)
	}
	if n, err := w.DeactivateObservers(ctx, nil); err != nil || n != 0 {
		t.Errorf("empty list = %d, %v", n, err)
	}
}
