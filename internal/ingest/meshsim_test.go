package ingest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
	"github.com/corescope/corescope/internal/mqtttest"
)

// simExpect is what a meshsim stream must produce in the database, computed
// from the generator's metadata (not from the ingestor).
type simExpect struct {
	tx, obs  int
	adverts  map[string]bool // pubkeys of nodes that sent an advert
	packets  int             // packet messages
	statuses int
}

func expectFor(msgs []meshsim.Message) simExpect {
	e := simExpect{adverts: map[string]bool{}}
	hashes := map[string]bool{}
	obsKeys := map[string]bool{}
	for _, m := range msgs {
		if m.Kind == meshsim.KindStatus {
			e.statuses++
			continue
		}
		e.packets++
		hashes[m.Hash] = true
		hops := m.Hops
		if hops == nil {
			hops = []string{}
		}
		hj, _ := json.Marshal(hops)
		obsKeys[m.Hash+"|"+m.ObserverID+"|"+string(hj)] = true
		if m.PayloadType == 4 && m.From != "" {
			e.adverts[m.From] = true
		}
	}
	e.tx, e.obs = len(hashes), len(obsKeys)
	return e
}

func toMessages(msgs []meshsim.Message) []ingesttest.Message {
	out := make([]ingesttest.Message, len(msgs))
	for i, m := range msgs {
		out[i] = ingesttest.Message{Topic: m.Topic, Payload: m.Payload}
	}
	return out
}

// TestIngestMeshsimTraffic ingests realistic synthetic traffic (signed
// adverts, encrypted channel chat, floods with growing paths, status
// messages) and checks rows against the generator's own bookkeeping.
func TestIngestMeshsimTraffic(t *testing.T) {
	sim := meshsim.New(meshsim.Options{Seed: 7, Nodes: 60, Observers: 4,
		End: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Duration: time.Hour})
	msgs := sim.Generate(600)
	want := expectFor(msgs)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	st := ingesttest.Fill(t, dbPath, toMessages(msgs))

	d := openRO(t, dbPath)
	if got := count(t, d, "SELECT COUNT(*) FROM transmissions"); got != want.tx {
		t.Errorf("transmissions = %d, want %d", got, want.tx)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM observations"); got != want.obs {
		t.Errorf("observations = %d, want %d", got, want.obs)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM nodes"); got != len(want.adverts) {
		t.Errorf("nodes = %d, want %d (advertising nodes)", got, len(want.adverts))
	}
	if st.Dropped() != 0 {
		t.Errorf("dropped %d messages (%v), want 0", st.Dropped(), st.Drops)
	}
	for _, n := range sim.Nodes() {
		if !want.adverts[n.PubKey] {
			continue
		}
		var name, role string
		var lat *float64
		if err := d.QueryRow("SELECT name, role, lat FROM nodes WHERE public_key = ?", n.PubKey).Scan(&name, &role, &lat); err != nil {
			t.Errorf("node %s: %v", n.Name, err)
			continue
		}
		if name != n.Name {
			t.Errorf("node name = %q, want %q", name, n.Name)
		}
		if n.HasLocation && (lat == nil || abs(*lat-n.Lat) > 1e-5) {
			t.Errorf("node %s lat = %v, want %v", n.Name, lat, n.Lat)
		}
	}
	for _, o := range sim.Observers() {
		var name, iata string
		if err := d.QueryRow("SELECT name, iata FROM observers WHERE id = ?", o.ID).Scan(&name, &iata); err != nil {
			t.Errorf("observer %s: %v", o.Name, err)
			continue
		}
		if name != o.Name || iata != o.IATA {
			t.Errorf("observer = %q/%q, want %q/%q", name, iata, o.Name, o.IATA)
		}
	}
	// Channel chat decrypts with zero config: every GRP_TXT the generator
	// sent on a named channel is stored under that channel with its text.
	checked := 0
	for _, m := range msgs {
		if m.PayloadType != 5 || m.Channel == "" || !m.IsNewTx {
			continue
		}
		var ch, dj string
		if err := d.QueryRow("SELECT channel_hash, decoded_json FROM transmissions WHERE hash = ?", m.Hash).Scan(&ch, &dj); err != nil {
			t.Errorf("GRP_TXT %s: %v", m.Hash, err)
			continue
		}
		var p struct{ Text string }
		_ = json.Unmarshal([]byte(dj), &p)
		if ch != m.Channel || p.Text != m.Text {
			t.Errorf("GRP_TXT %s = %q %q, want %q %q", m.Hash, ch, p.Text, m.Channel, m.Text)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no channel message in the generated traffic")
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// BenchmarkIngestThroughput measures sustained end-to-end ingest through a
// real Mosquitto: meshsim traffic (reference mix: adverts with signature
// checks, channel decryption, floods) published as fast as four QoS 1
// publishers can, until the ingestor has acknowledged every message (i.e.
// committed it). Reports observations/s. Size with CORESCOPE_BENCH_TX
// (transmissions per iteration, default 12000 ≈ 50,000 messages).
//
//	go test ./internal/ingest -run '^$' -bench IngestThroughput -benchtime 1x
func BenchmarkIngestThroughput(b *testing.B) {
	ntx := 12000
	if v, err := strconv.Atoi(os.Getenv("CORESCOPE_BENCH_TX")); err == nil && v > 0 {
		ntx = v
	}
	sim := meshsim.New(meshsim.ReferenceOptions(1, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)))
	msgs := sim.Generate(ntx)
	want := expectFor(msgs)
	all := toMessages(msgs)
	b.ResetTimer()
	var totalObs int
	var total time.Duration
	for range b.N {
		b.StopTimer()
		broker := mqtttest.Start(b)
		dbPath := filepath.Join(b.TempDir(), "meshcore.db")
		ing := ingesttest.Start(b, broker.URL, dbPath, benchBatch)
		b.StartTimer()
		start := time.Now()
		const pubs = 4
		var wg sync.WaitGroup
		errs := make(chan error, pubs)
		chunk := (len(all) + pubs - 1) / pubs
		for p := range pubs {
			part := all[min(p*chunk, len(all)):min((p+1)*chunk, len(all))]
			wg.Add(1)
			go func() { defer wg.Done(); errs <- ingesttest.PublishErr(broker.URL, part) }()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		ing.WaitAcked(b, uint64(len(all)))
		el := time.Since(start)
		b.StopTimer()
		total += el
		totalObs += want.obs
		d := openRO(b, dbPath)
		if got := count(b, d, "SELECT COUNT(*) FROM observations"); got != want.obs {
			b.Fatalf("observations = %d, want %d (loss!)", got, want.obs)
		}
		st := ing.Stats()
		b.Logf("%d messages (%d packets → %d tx, %d obs; %d status) in %v; batches %d, queue max cap %d",
			len(all), want.packets, want.tx, want.obs, want.statuses, el.Round(time.Millisecond), st.WALCommits, st.QueueCapacity)
		ing.Stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(totalObs)/total.Seconds(), "obs/s")
	b.ReportMetric(float64(len(all)*b.N)/total.Seconds(), "msgs/s")
}

// BenchmarkIngestBacklog measures the ingestor alone: the same traffic is
// queued in Mosquitto for the ingestor's persistent session while it is
// stopped (as after a restart or an outage), then the clock runs from the
// ingestor's start until every message is committed and acknowledged. No
// publisher competes for the CPU, so this is the ingestor's own throughput.
//
//	go test ./internal/ingest -run '^$' -bench IngestBacklog -benchtime 1x
func BenchmarkIngestBacklog(b *testing.B) {
	ntx := 12000
	if v, err := strconv.Atoi(os.Getenv("CORESCOPE_BENCH_TX")); err == nil && v > 0 {
		ntx = v
	}
	sim := meshsim.New(meshsim.ReferenceOptions(1, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)))
	msgs := sim.Generate(ntx)
	want := expectFor(msgs)
	all := toMessages(msgs)
	var total, totalCPU time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		broker := mqtttest.Start(b)
		dbPath := filepath.Join(b.TempDir(), "meshcore.db")
		ingesttest.Start(b, broker.URL, dbPath).Stop() // creates the persistent session
		ingesttest.Publish(b, broker.URL, all)
		b.StartTimer()
		cpu0 := cpuTime()
		start := time.Now()
		ing := ingesttest.Start(b, broker.URL, dbPath, benchBatch)
		ing.WaitAcked(b, uint64(len(all)))
		el := time.Since(start)
		cpu := cpuTime() - cpu0
		b.StopTimer()
		total += el
		totalCPU += cpu
		if got := count(b, openRO(b, dbPath), "SELECT COUNT(*) FROM observations"); got != want.obs {
			b.Fatalf("observations = %d, want %d (loss!)", got, want.obs)
		}
		st := ing.Stats()
		b.Logf("%d queued messages (%d tx, %d obs) drained in %v using %v CPU (%.0f µs/msg); %d batches",
			len(all), want.tx, want.obs, el.Round(time.Millisecond), cpu.Round(time.Millisecond),
			float64(cpu.Microseconds())/float64(len(all)), st.WALCommits)
		ing.Stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(want.obs*b.N)/total.Seconds(), "obs/s")
	b.ReportMetric(float64(len(all)*b.N)/total.Seconds(), "msgs/s")
	b.ReportMetric(float64(totalCPU.Microseconds())/float64(len(all)*b.N), "cpu-µs/msg")
}

// benchBatch applies CORESCOPE_BENCH_BATCH (messages per group commit) and
// CORESCOPE_BENCH_DELAY_MS to a benchmark's config.
func benchBatch(c *config.Config) {
	if v, err := strconv.Atoi(os.Getenv("CORESCOPE_BENCH_BATCH")); err == nil && v > 0 {
		c.Ingest.BatchSize = v
	}
	if v, err := strconv.Atoi(os.Getenv("CORESCOPE_BENCH_DELAY_MS")); err == nil && v > 0 {
		c.Ingest.BatchDelayMs = v
	}
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
