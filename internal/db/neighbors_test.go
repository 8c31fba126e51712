package db

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

func key64(prefix string) string { return prefix + strings.Repeat("0", 64-len(prefix)) }

func TestBuildNeighborEdges(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/edges.db"
	w, err := OpenWriter(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := key64("aa11"), key64("bb22"), key64("cc33")
	d1, d2 := key64("dd0101"), key64("dd0202") // share the 1-byte prefix "dd"
	obs := strings.ToUpper(key64("ee44"))      // observer ids arrive uppercase
	var bt Batch
	bt.Observers = []ObserverUpsert{{ID: obs, Seen: t0, Packet: true}, {ID: "companion", Seen: t0}}
	for _, k := range []string{a, b, c, d1, d2} {
		bt.Nodes = append(bt.Nodes, NodeUpsert{PublicKey: k, Seen: t0})
	}
	add := func(hash string, ptype int, from, path, observer string, at time.Time) {
		bt.Transmissions = append(bt.Transmissions, Transmission{Hash: hash, FirstSeen: at, PayloadType: ptype, FromPubkey: from})
		bt.Observations = append(bt.Observations, Observation{TxHash: hash, ObserverID: observer, PathJSON: path, Timestamp: at.Unix()})
	}
	add("e1", 4, a, `["BB","CC"]`, obs, t0)               // advert: a–b (first hop), obs–c (last hop)
	add("e2", 4, a, `[]`, obs, t0.Add(time.Second))       // advert, no hops: a–obs
	add("e3", 2, "", `["AA11","bb22"]`, obs, t0)          // text: obs–b
	add("e4", 2, "", `["DD"]`, obs, t0)                   // ambiguous prefix: nothing
	add("e5", 2, "", `["DD02"]`, obs, t0)                 // unique 2-byte prefix: obs–d2
	add("e6", 2, "", `["BB"]`, "companion", t0)           // not a pubkey observer: nothing
	add("e7", 2, "", `not json`, obs, t0)                 // malformed: skipped
	add("e8", 4, c, `["ZZ"]`, obs, t0.Add(2*time.Second)) // unknown hop: nothing
	if res, err := w.WriteBatch(ctx, bt); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("WriteBatch: %v %v", err, res.Rejected)
	}
	o := strings.ToLower(obs)
	want := map[string]string{
		pair(a, b):  "1|2026-05-17T18:00:00Z",
		pair(o, c):  "1|2026-05-17T18:00:00Z",
		pair(a, o):  "1|2026-05-17T18:00:01Z",
		pair(o, b):  "1|2026-05-17T18:00:00Z",
		pair(o, d2): "1|2026-05-17T18:00:00Z",
	}
	res, err := w.BuildNeighborEdges(ctx, 3, 0) // small chunks exercise the loop
	if err != nil {
		t.Fatal(err)
	}
	if res.Observations != 8 || res.Edges < 5 {
		t.Errorf("result %+v, want 8 observations read", res)
	}
	checkEdges(t, w, want)

	// Nothing new: nothing changes.
	if res, err := w.BuildNeighborEdges(ctx, 0, 0); err != nil || res.Observations != 0 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	checkEdges(t, w, want)

	// After a restart the watermark comes from last_seen: only newer
	// observations count.
	w.Close()
	w, err = OpenWriter(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	later := t0.Add(time.Minute)
	if _, err := w.WriteBatch(ctx, Batch{
		Transmissions: []Transmission{{Hash: "e9", FirstSeen: later, PayloadType: 4, FromPubkey: a}},
		Observations:  []Observation{{TxHash: "e9", ObserverID: obs, PathJSON: `["BB"]`, Timestamp: later.Unix()}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.BuildNeighborEdges(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	want[pair(a, b)] = "2|2026-05-17T18:01:00Z"
	want[pair(o, b)] = "2|2026-05-17T18:01:00Z"
	checkEdges(t, w, want)
}

func pair(x, y string) string {
	if y < x {
		x, y = y, x
	}
	return x[:6] + "-" + y[:6]
}

func checkEdges(t *testing.T, w *Writer, want map[string]string) {
	t.Helper()
	rows, err := w.DB().Query("SELECT node_a, node_b, count, last_seen FROM neighbor_edges")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var a, b, last string
		var n int
		if err := rows.Scan(&a, &b, &n, &last); err != nil {
			t.Fatal(err)
		}
		if a >= b {
			t.Errorf("edge %s–%s not canonical", a, b)
		}
		got[a[:6]+"-"+b[:6]] = strconv.Itoa(n) + "|" + last
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("edge %s = %q, want %q", k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected edge %s = %s", k, v)
		}
	}
}
