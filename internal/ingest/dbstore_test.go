package ingest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// TestStoreWritesAMessageWholeOrNotAtAll: when one row of a message is
// invalid (here its observer's name, past what the database accepts), none
// of that message's rows is written — not its transmission, not an
// observation without observer — while the other messages of the batch are.
// Parsing refuses such input already (invalid_field); this is the second
// line, for any row the database's checks would refuse.
func TestStoreWritesAMessageWholeOrNotAtAll(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meshcore.db")
	w, err := db.OpenWriter(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	now := time.Now().UTC().Truncate(time.Second)
	msg := func(hash, observer, name string) *item {
		return &item{topic: "meshcore/SEA/" + observer + "/packets", rec: record{now: now,
			observer: &observerRec{ID: observer, Name: name, IATA: "SEA", Packet: true},
			tx:       &txRec{RawHex: "0A00" + hash, Hash: hash, PayloadType: 2, DecodedJSON: "{}"},
			obs:      &obsRec{ObserverID: observer, PathJSON: "[]", RawHex: "0A00" + hash},
		}}
	}
	good := msg("00000000000000aa", "OBS1", "fine")
	bad := msg("00000000000000bb", "OBS2", strings.Repeat("n", db.MaxIDLen+1))
	later := msg("00000000000000cc", "OBS1", "fine")
	ctr := &counters{}
	if err := newDBStore(w, ctr).store(ctx, []*item{good, bad, later}); err != nil {
		t.Fatalf("store: %v", err)
	}
	if good.err != nil || later.err != nil || bad.err == nil {
		t.Fatalf("errors: good %v, bad %v, later %v; want only bad rejected", good.err, bad.err, later.err)
	}
	rd, err := db.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	count := func(q string) int {
		var n int
		if err := rd.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count("SELECT count(*) FROM transmissions WHERE hash = '00000000000000bb'"); n != 0 {
		t.Errorf("the rejected message's transmission was stored")
	}
	if n := count("SELECT count(*) FROM observers WHERE id = 'OBS2'"); n != 0 {
		t.Errorf("the rejected message's observer was stored")
	}
	if n := count("SELECT count(*) FROM observations WHERE observer_idx IS NULL"); n != 0 {
		t.Errorf("%d observations without observer", n)
	}
	if tx, obs := count("SELECT count(*) FROM transmissions"), count("SELECT count(*) FROM observations"); tx != 2 || obs != 2 {
		t.Errorf("stored %d transmissions, %d observations; want the 2 good messages whole", tx, obs)
	}
	if ctr.txInserted.Load() != 2 || ctr.obsInserted.Load() != 2 {
		t.Errorf("counters tx=%d obs=%d, want 2 and 2 like the rows", ctr.txInserted.Load(), ctr.obsInserted.Load())
	}
}
