package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/store"
)

// handMesh is a small mesh written through db.Writer with known clocks:
// node i's clock runs skews[i] seconds ahead; observer 2's stored times run
// lateSec behind the packets' true times ... ahead of the others (it is a slow
// bridge), so its observations must be calibrated away.
type handMesh struct {
	path  string
	w     *db.Writer
	st    *store.Store
	now   time.Time
	start time.Time
	nodes []string
	skews []int64
	obs   []string
}

const lateSec = 30

var naQuiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newHandMesh writes 3 observers, 4 repeaters and, every 20 minutes for 2
// days, one advert per node heard by every observer, plus direct messages
// between node 0 and node 1, and a TXT relayed through node 2 (1-byte hops).
func newHandMesh(t *testing.T) *handMesh {
	t.Helper()
	ctx := context.Background()
	m := &handMesh{
		path:  filepath.Join(t.TempDir(), "meshcore.db"),
		now:   time.Date(2026, 6, 3, 12, 0, 0, 0, time.UTC),
		skews: []int64{0, 120, -7200, 40 * 86400},
		obs:   []string{"OBSAAAA1", "OBSBBBB2", "OBSCCCC3"},
	}
	m.start = m.now.Add(-48 * time.Hour)
	for i := range m.skews {
		m.nodes = append(m.nodes, fmt.Sprintf("%02x", 0x10*(i+1))+strings.Repeat(fmt.Sprintf("%02x", i+1), 31))
	}
	w, err := db.OpenWriter(ctx, m.path, db.Options{Logger: naQuiet, Now: func() time.Time { return m.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	m.w = w
	var b db.Batch
	for i, id := range m.obs {
		b.Observers = append(b.Observers, db.ObserverUpsert{ID: id, Name: "obs-" + id[3:4], IATA: []string{"SJC", "SJC", "OAK"}[i], Seen: m.start})
	}
	for i, pk := range m.nodes {
		lat, lon := 37.0+float64(i)/10, -122.0
		b.Nodes = append(b.Nodes, db.NodeUpsert{PublicKey: pk, Name: fmt.Sprintf("node-%d", i), Role: "repeater", Lat: &lat, Lon: &lon, Seen: m.start})
	}
	m.write(t, b)
	seq := 0
	for at := m.start; at.Before(m.now); at = at.Add(20 * time.Minute) {
		b = db.Batch{}
		for i, pk := range m.nodes {
			seq++
			h := fmt.Sprintf("%016x", seq)
			ts := at.Unix() + m.skews[i]
			b.Transmissions = append(b.Transmissions, db.Transmission{RawHex: fmt.Sprintf("1100%08X", seq), Hash: h, FirstSeen: at, RouteType: 1, PayloadType: 4,
				FromPubkey: pk, DecodedJSON: fmt.Sprintf(`{"type":"ADVERT","pubKey":%q,"timestamp":%d,"name":"node-%d"}`, pk, ts, i)})
			for j, o := range m.obs {
				snr := float64(5 + i + j)
				obsAt := at.Unix()
				if j == 1 {
					obsAt += lateSec
				}
				b.Observations = append(b.Observations, db.Observation{TxHash: h, ObserverID: o, SNR: &snr, PathJSON: "[]", Timestamp: obsAt})
			}
		}
		// node 0 → node 1 direct message, relayed by node 2.
		seq++
		h := fmt.Sprintf("%016x", seq)
		b.Transmissions = append(b.Transmissions, db.Transmission{RawHex: fmt.Sprintf("0A00%08X", seq), Hash: h, FirstSeen: at.Add(time.Minute), RouteType: 1, PayloadType: 2,
			DecodedJSON: fmt.Sprintf(`{"type":"TXT_MSG","destHash":%q,"srcHash":%q,"mac":"0000"}`, m.nodes[1][:2], m.nodes[0][:2])})
		b.Observations = append(b.Observations, db.Observation{TxHash: h, ObserverID: m.obs[0], PathJSON: fmt.Sprintf(`[%q]`, strings.ToUpper(m.nodes[2][:2])),
			Timestamp: at.Add(time.Minute).Unix(), ResolvedPath: fmt.Sprintf(`[%q]`, m.nodes[2])})
		m.write(t, b)
	}
	return m
}

func (m *handMesh) write(t *testing.T, b db.Batch) {
	t.Helper()
	res, err := m.w.WriteBatch(context.Background(), b)
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("write: %v %v", err, res.Rejected)
	}
}

// run starts a store over the mesh and waits for its load.
func (m *handMesh) run(t *testing.T) *store.Store {
	t.Helper()
	rd, err := db.OpenReader(context.Background(), m.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	st := store.New(rd, store.Config{Logger: naQuiet, PollInterval: 20 * time.Millisecond, Now: func() time.Time { return m.now }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = st.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(20 * time.Second)
	for !st.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("store not ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	m.st = st
	return st
}

// sqlDB opens the mesh's file for the independent SQL side of a check.
func (m *handMesh) sqlDB(t *testing.T) *sql.DB {
	t.Helper()
	d, err := db.OpenReader(context.Background(), m.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// observerByIdx resolves observer rowids through the store's public list.
func observerByIdx(t *testing.T, st *store.Store, d *sql.DB) func(int64) *store.Observer {
	t.Helper()
	rows, err := d.Query(`SELECT rowid, id, name, iata FROM observers`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	by := map[int64]*store.Observer{}
	for rows.Next() {
		o := &store.Observer{}
		if err := rows.Scan(&o.Idx, &o.ID, &o.Name, &o.IATA); err != nil {
			t.Fatal(err)
		}
		by[o.Idx] = o
	}
	return func(idx int64) *store.Observer { return by[idx] }
}
