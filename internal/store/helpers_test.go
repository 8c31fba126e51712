package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// testEnv is a real SQLite database written through the ingestor's writer and a
// store reading it through the server's read-only connection.
type testEnv struct {
	t      testing.TB
	path   string
	w      *db.Writer
	rd     *sql.DB
	base   time.Time
	nextTx int
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// The synthetic mesh: three observers in two regions, four repeaters, one
// companion.
var (
	testObservers = []struct{ id, name, iata string }{
		{"OBSAAAA1", "Alpha", "SJC"},
		{"OBSBBBB2", "Bravo", "SJC"},
		{"OBSCCCC3", "Charlie", "OAK"},
	}
	testRepeaters = []string{
		"a1" + repeat("11", 31),
		"b2" + repeat("22", 31),
		"c3" + repeat("33", 31),
		"d4" + repeat("44", 31),
	}
	testCompanion = "e5" + repeat("55", 31)
)

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meshcore.db")
	base := time.Date(2026, 5, 17, 12, 0, 0, 0, time.UTC)
	w, err := db.OpenWriter(ctx, path, db.Options{Logger: quietLog, Now: func() time.Time { return base.Add(48 * time.Hour) }})
	if err != nil {
		t.Fatalf("open writer: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	e := &testEnv{t: t, path: path, w: w, base: base}
	// Nodes first so in-memory hop resolution can use them.
	var b db.Batch
	for i, pk := range append(append([]string{}, testRepeaters...), testCompanion) {
		role := "repeater"
		if pk == testCompanion {
			role = "companion"
		}
		lat, lon := 37.0+float64(i)/10, -122.0
		b.Nodes = append(b.Nodes, db.NodeUpsert{PublicKey: pk, Name: fmt.Sprintf("node-%d", i), Role: role,
			Lat: &lat, Lon: &lon, Seen: base})
	}
	for _, o := range testObservers {
		b.Observers = append(b.Observers, db.ObserverUpsert{ID: o.id, Name: o.name, IATA: o.iata, Seen: base})
	}
	e.write(b)
	rd, err := db.OpenReader(ctx, path)
	if err != nil {
		t.Fatalf("open reader: %v", err)
	}
	t.Cleanup(func() { rd.Close() })
	e.rd = rd
	return e
}

func (e *testEnv) write(b db.Batch) db.Result {
	e.t.Helper()
	res, err := e.w.WriteBatch(context.Background(), b)
	if err != nil {
		e.t.Fatalf("write batch: %v", err)
	}
	if len(res.Rejected) > 0 {
		e.t.Fatalf("rejected rows: %v", res.Rejected)
	}
	return res
}

// packet kinds produced by addPackets, cycling.
const (
	kindAdvert = iota
	kindChan
	kindTxt
	kindCount
)

// addPackets writes n transmissions, each heard by 1–3 observers, and returns
// their hashes. Packet i: kind i%3; adverts come from repeater i%4 (from_pubkey);
// channel messages go to "#test" or "public"; paths are two 1-byte hops
// through repeaters.
func (e *testEnv) addPackets(n int) []string {
	var b db.Batch
	var hashes []string
	for k := 0; k < n; k++ {
		i := e.nextTx
		e.nextTx++
		at := e.base.Add(time.Duration(i) * time.Second)
		hash := fmt.Sprintf("%016x", 0xabc0000000+i)
		tx := db.Transmission{RawHex: fmt.Sprintf("11%02X%08X", i%256, i), Hash: hash, FirstSeen: at, RouteType: 1}
		switch i % kindCount {
		case kindAdvert:
			pk := testRepeaters[i%4]
			tx.PayloadType = 4
			tx.FromPubkey = pk
			tx.DecodedJSON = fmt.Sprintf(`{"type":"ADVERT","pubKey":%q,"name":"node-%d"}`, pk, i%4)
		case kindChan:
			ch := []string{"#test", "public"}[i%2]
			tx.PayloadType = 5
			tx.ChannelHash = ch
			tx.DecodedJSON = fmt.Sprintf(`{"type":"CHAN","channel":%q,"sender":"user%d","text":"user%d: hello %d","sender_timestamp":%d}`, ch, i%5, i%5, i, at.Unix())
		default:
			tx.PayloadType = 2
			tx.DecodedJSON = `{"type":"TXT_MSG","destHash":"1f","srcHash":"5d"}`
		}
		b.Transmissions = append(b.Transmissions, tx)
		hops := fmt.Sprintf(`["%s","%s"]`, testRepeaters[(i+1)%4][:2], testRepeaters[(i+2)%4][:2])
		for j := 0; j <= i%3; j++ {
			snr := float64(j) + 0.5
			b.Observations = append(b.Observations, db.Observation{TxHash: hash, ObserverID: testObservers[j].id,
				SNR: &snr, PathJSON: hops, Timestamp: at.Unix() + int64(j)})
		}
		hashes = append(hashes, hash)
	}
	e.write(b)
	return hashes
}

// addObservation writes one more observation of an existing transmission.
func (e *testEnv) addObservation(hash, observer, path string, at time.Time) {
	e.write(db.Batch{Observations: []db.Observation{{TxHash: hash, ObserverID: observer, PathJSON: path, Timestamp: at.Unix()}}})
}

// start runs a store over the environment's database until the test ends.
func (e *testEnv) start(cfg Config) *Store {
	e.t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLog
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	s := New(e.rd, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.Run(ctx); err != nil {
			e.t.Errorf("run: %v", err)
		}
	}()
	e.t.Cleanup(func() { cancel(); wg.Wait() })
	return s
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func waitReady(t testing.TB, s *Store) {
	t.Helper()
	eventually(t, "store ready", s.Ready)
}

func nodeBatch(pk, name string, at time.Time) db.Batch {
	lat, lon := 37.5, -122.5
	return db.Batch{Nodes: []db.NodeUpsert{{PublicKey: pk, Name: name, Role: "repeater", Lat: &lat, Lon: &lon, Seen: at}}}
}

func observerBatch(id, name, iata string, at time.Time) db.ObserverUpsert {
	return db.ObserverUpsert{ID: id, Name: name, IATA: iata, Seen: at}
}

// atomicTime is an injectable clock tests can move.
type atomicTime struct{ ns atomic.Int64 }

func (a *atomicTime) set(t time.Time) { a.ns.Store(t.UnixNano()) }
func (a *atomicTime) get() time.Time  { return time.Unix(0, a.ns.Load()).UTC() }
