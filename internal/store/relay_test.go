package store

import (
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// Repeaters get relay fields from the path hops that resolve to them (each
// transmission once), companions do not; the 1 h and 24 h counts follow the
// clock and relay_active the 24 h window.
func TestNodeRelayFields(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(12)
	var clk atomicTime
	clk.set(e.base.Add(30 * time.Minute))
	s := e.start(Config{Now: clk.get, RelayActive: 24 * time.Hour})
	waitReady(t, s)
	// a1 is hop (i+1)%4 or (i+2)%4 of packets 2,3,6,7,10,11: six relays, the
	// newest heard first at base+11 s.
	a1 := testRepeaters[0]
	relay := func() NodeJSON {
		t.Helper()
		d, err := s.Node(a1)
		if err != nil {
			t.Fatal(err)
		}
		return d.Node
	}
	eventually(t, "relays counted", func() bool {
		n := relay()
		return n.RelayCount24h != nil && *n.RelayCount24h == 6
	})
	n := relay()
	if n.LastRelayed == nil || *n.LastRelayed != FormatTime(e.base.Add(11*time.Second).UnixMilli()) {
		t.Errorf("last_relayed = %v, want base+11s", n.LastRelayed)
	}
	if n.RelayActive == nil || !*n.RelayActive || n.RelayCount1h == nil || *n.RelayCount1h != 6 {
		t.Errorf("active/1h = %v/%v, want true/6", n.RelayActive, n.RelayCount1h)
	}
	// Packet 12 is a1's own advert (not a relay); packet 13 has hops c3 and
	// d4, so a1 relays it only through the extra observation: seven in total.
	hashes := e.addPackets(2)
	// Two observations through a1 in one commit (one sync snapshot): the
	// transmission still counts once.
	e.write(db.Batch{Observations: []db.Observation{
		{TxHash: hashes[1], ObserverID: testObservers[2].id, PathJSON: `["a1"]`, Timestamp: e.base.Add(20 * time.Second).Unix()},
		{TxHash: hashes[1], ObserverID: testObservers[1].id, PathJSON: `["a1","d4"]`, Timestamp: e.base.Add(21 * time.Second).Unix()},
	}})
	eventually(t, "relay from a later observation", func() bool { return *relay().RelayCount24h == 7 })

	clk.set(e.base.Add(3 * time.Hour))
	n = relay()
	if *n.RelayCount1h != 0 || *n.RelayCount24h != 7 || !*n.RelayActive {
		t.Errorf("after 3 h: 1h=%d 24h=%d active=%v, want 0, 7, true", *n.RelayCount1h, *n.RelayCount24h, *n.RelayActive)
	}
	clk.set(e.base.Add(25 * time.Hour))
	n = relay()
	if *n.RelayCount24h != 0 || *n.RelayActive || n.LastRelayed == nil {
		t.Errorf("after 25 h: 24h=%d active=%v last=%v, want 0, false, kept", *n.RelayCount24h, *n.RelayActive, n.LastRelayed)
	}
	d, err := s.Node(testCompanion)
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Node; c.RelayActive != nil || c.RelayCount1h != nil || c.LastRelayed != nil {
		t.Errorf("companion has relay fields: %+v", c)
	}
}

// The rings count out-of-order adds inside their window and ignore what is
// older than the slot they would land in.
func TestRelayStatRings(t *testing.T) {
	var r relayStat
	h := int64(1_800_000_000_000) // ms
	r.add(h)
	r.add(h - 30*60_000)    // 30 min earlier: both windows
	r.add(h - 5*3_600_000)  // 5 h earlier: 24 h only
	r.add(h - 60*60_000*30) // 30 h earlier: outside both rings' windows
	r.add(0)                // absent timestamp: ignored
	if got := sumSlots(r.minutes[:], h/60000); got != 2 {
		t.Errorf("1 h count = %d, want 2", got)
	}
	if got := sumSlots(r.hours[:], h/3_600_000); got != 3 {
		t.Errorf("24 h count = %d, want 3", got)
	}
	if r.last != h {
		t.Errorf("last = %d, want %d", r.last, h)
	}
}

// Relay fields are always on: a zero Config.RelayActive means the 24 h
// default window, a configured one replaces it.
func TestNodeRelayWindow(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(12)
	var clk atomicTime
	clk.set(e.base.Add(3 * time.Hour))
	def := e.start(Config{Now: clk.get})
	short := e.start(Config{Now: clk.get, RelayActive: 2 * time.Hour})
	waitReady(t, def)
	waitReady(t, short)
	for _, c := range []struct {
		name   string
		s      *Store
		active bool
	}{{"default 24 h", def, true}, {"2 h", short, false}} {
		eventually(t, c.name+": relays indexed", func() bool {
			d, err := c.s.Node(testRepeaters[0])
			return err == nil && d.Node.RelayCount24h != nil && *d.Node.RelayCount24h == 6
		})
		d, _ := c.s.Node(testRepeaters[0])
		if n := d.Node; n.RelayActive == nil || *n.RelayActive != c.active || n.LastRelayed == nil {
			t.Errorf("%s: relay_active = %v, last_relayed = %v; want %v, set", c.name, n.RelayActive, n.LastRelayed, c.active)
		}
	}
}
