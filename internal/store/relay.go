package store

// Relay activity of repeaters and rooms (API.md §0.6 node row: last_relayed,
// relay_active, relay_count_1h, relay_count_24h), kept incrementally by the
// sync: a node relayed a transmission when one of its observations' path hops
// resolves to the node's pubkey. Each transmission counts once per node, at
// the timestamp of the first observation that resolved the hop.
//
// The counts live in two small rings instead of the 1440-slot minute ring of
// the observation counters (23 KB each): per-minute slots for the last hour
// (exact to the minute) and per-hour slots for the last day, where the 24 h
// count covers the current hour and the 23 before it (23–24 h). That is ~1.3 KB
// per relaying node, so a mesh with thousands of repeaters stays in single MB.

type relayStat struct {
	last    int64 // ms of the newest relay
	minutes [60]relaySlot
	hours   [24]relaySlot
}

// relaySlot counts relays in one minute or hour; key is the minute or hour
// number since the epoch that the slot currently holds.
type relaySlot struct {
	key   int64
	count int64
}

func (r *relayStat) add(ms int64) {
	if ms <= 0 {
		return
	}
	r.last = max(r.last, ms)
	addSlot(r.minutes[:], ms/60000)
	addSlot(r.hours[:], ms/3600000)
}

func addSlot(ring []relaySlot, key int64) {
	s := &ring[key%int64(len(ring))]
	switch {
	case s.key == key:
		s.count++
	case s.key < key: // the slot held an older period: recycle it
		s.key, s.count = key, 1
	} // else older than the ring's window: not counted
}

func sumSlots(ring []relaySlot, cur int64) int64 {
	var n int64
	for _, s := range ring {
		if s.key > cur-int64(len(ring)) && s.key <= cur {
			n += s.count
		}
	}
	return n
}

// relayFields fills the repeater/room relay fields of j from r (nil = never
// relayed) as of nowMs; activeMs is the relay_active window.
func relayFields(j *NodeJSON, r *relayStat, nowMs, activeMs int64) {
	var active bool
	var c1, c24 int64
	if r != nil {
		j.LastRelayed = timePtr(r.last)
		active = nowMs-r.last <= activeMs
		c1 = sumSlots(r.minutes[:], nowMs/60000)
		c24 = sumSlots(r.hours[:], nowMs/3600000)
	}
	j.RelayActive, j.RelayCount1h, j.RelayCount24h = &active, &c1, &c24
}

// addRelays records the relay entries of pairs. Caller holds Store.mu for
// writing.
func (ix *index) addRelays(pairs []nodeTxPair) {
	for _, p := range pairs {
		if p.relayAt == 0 {
			continue
		}
		r := ix.relays[p.pk]
		if r == nil {
			r = &relayStat{}
			ix.relays[p.pk] = r
		}
		r.add(p.relayAt)
	}
}
