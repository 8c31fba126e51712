package meshsim

import (
	"container/heap"
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// Kind tells packet messages from status messages.
type Kind uint8

// Message kinds.
const (
	KindPacket Kind = iota // meshcore/<IATA>/<observer>/packets
	KindStatus             // meshcore/<IATA>/<observer>/status
)

// Message is one MQTT message an observer's bridge publishes, plus metadata
// tests use to compute expectations. Only Topic and Payload go on the wire.
type Message struct {
	Topic   string
	Payload []byte // JSON object as meshcoretomqtt sends it
	Time    time.Time
	Kind    Kind

	ObserverID string // upper-case hex, as in the topic
	IATA       string

	// Packet messages only.
	Seq         int    // transmission sequence number within this Sim (0-based)
	Hash        string // CoreScope content hash, 16 lower-case hex digits
	IsNewTx     bool   // first message carrying this Hash (in emission order)
	Raw         string // packet hex, upper-case (the `raw` field)
	RouteType   int
	PayloadType int
	HashSize    int      // path hash size in bytes (1 for TRACE SNR bytes)
	Hops        []string // header path entries, upper-case hex (TRACE: route entries from the payload)
	SNR, RSSI   float64
	From        string // originating node public key, lower-case hex ("" for anonymous senders)
	To          string // destination node public key for addressed packets, else ""
	Channel     string // GRP_TXT/GRP_DATA: channel name as the codec's key list names it; "" for a private channel
	Text        string // GRP_TXT plaintext text ("Sender: message")
	Scope       string // TRANSPORT_FLOOD: region scope name, "#" + lower-case IATA ("#sea"); else ""
}

// Sim is a synthetic mesh. Construct with New; not safe for concurrent use.
type Sim struct {
	opts      Options
	r         *rand.Rand
	nodes     []*Node
	observers []*Observer
	obsOf     []int // node index -> observer index, -1 if none
	topo      *topology
	byRegion  []regionNodes
	channels  []channelDef

	seq      int
	msgSeq   uint64
	queue    msgQueue
	seen     map[string]struct{}
	statusAt []time.Time // next status time per observer
}

type regionNodes struct {
	all, companions, repeaters, rooms, sensors, chatty []int
	observers                                          []int
	regionKey                                          []byte
	advertTurns                                        []int // nodes still to advertise this round
}

// New builds the mesh for o (defaults applied; invalid options are clamped
// by Validate's rules, so call Options.Validate first for user input).
func New(o Options) *Sim {
	o = o.withDefaults(time.Now())
	if err := o.Validate(); err != nil {
		panic("meshsim: " + err.Error()) // programmer error: validate user input first
	}
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x6d657368_73696d21))
	s := &Sim{opts: o, r: r, seen: make(map[string]struct{})}
	s.nodes = buildNodes(r, o)
	link(s.nodes, o.RangeKm)
	s.topo = newTopology(s.nodes)
	s.observers = pickObservers(r, s.nodes, o)
	s.obsOf = make([]int, len(s.nodes))
	for i := range s.obsOf {
		s.obsOf[i] = -1
	}
	s.byRegion = make([]regionNodes, len(o.Regions))
	for i, ob := range s.observers {
		s.obsOf[ob.Node] = i
		reg := s.nodes[ob.Node].region
		s.byRegion[reg].observers = append(s.byRegion[reg].observers, i)
	}
	for _, n := range s.nodes {
		rn := &s.byRegion[n.region]
		rn.all = append(rn.all, n.Index)
		switch n.Role {
		case RoleCompanion:
			rn.companions = append(rn.companions, n.Index)
			rn.chatty = append(rn.chatty, n.Index)
		case RoleRepeater:
			rn.repeaters = append(rn.repeaters, n.Index)
		case RoleRoom:
			rn.rooms = append(rn.rooms, n.Index)
			rn.chatty = append(rn.chatty, n.Index)
		case RoleSensor:
			rn.sensors = append(rn.sensors, n.Index)
		}
	}
	for k := range s.byRegion {
		s.byRegion[k].regionKey = hashtagKey("#" + lower(o.Regions[k].IATA))
		if len(s.byRegion[k].chatty) == 0 {
			s.byRegion[k].chatty = s.byRegion[k].all
		}
	}
	s.channels = defaultChannels(r)
	s.statusAt = make([]time.Time, len(s.observers))
	return s
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// Options returns the options in effect (defaults applied).
func (s *Sim) Options() Options { return s.opts }

// Nodes returns the simulated nodes. They are shared with the Sim: renaming
// a node before generating is supported (names are read when adverts and chat
// are built; tests use it to inject hostile names); changing other fields is
// not.
func (s *Sim) Nodes() []*Node { return s.nodes }

// Observers returns the observers (shared; do not modify).
func (s *Sim) Observers() []*Observer { return s.observers }

// Channels returns the channel names the Sim chats on whose keys the codec
// derives by itself (Public and built-in hashtags).
func (s *Sim) Channels() []string {
	var out []string
	for _, c := range s.channels {
		if c.name != "" {
			out = append(out, c.name)
		}
	}
	return out
}

// Generate returns every message for n transmissions spread over
// [End-Duration, End] (denser in the daytime), in time order, preceded by a
// status message from every observer. Each call covers the same window with
// fresh traffic.
func (s *Sim) Generate(n int) []Message {
	out := make([]Message, 0, n*5)
	_ = s.Each(n, func(m Message) error {
		out = append(out, m)
		return nil
	})
	return out
}

// Each is Generate without holding the messages: fn receives them in time
// order. It stops at and returns fn's first error.
func (s *Sim) Each(n int, fn func(Message) error) error {
	start := s.opts.End.Add(-s.opts.Duration)
	times := txTimes(s.r, n, start, s.opts.End)
	s.resetStatus(start.Add(-2 * time.Second))
	for _, t := range times {
		s.statusesUpTo(t) // before drain: a status due now may precede queued packets
		if err := s.drain(t, fn); err != nil {
			return err
		}
		s.transmit(t)
	}
	return s.drain(time.Unix(math.MaxInt32, 0), fn)
}

// drain emits queued messages with a time before t.
func (s *Sim) drain(t time.Time, fn func(Message) error) error {
	for len(s.queue) > 0 && s.queue[0].m.Time.Before(t) {
		it := heap.Pop(&s.queue).(queued)
		m := it.m
		if m.Kind == KindPacket {
			if _, ok := s.seen[m.Hash]; !ok {
				s.seen[m.Hash] = struct{}{}
				m.IsNewTx = true
			}
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// Live generates traffic in real time until ctx ends or maxTx transmissions
// were made (0 = no limit): about rate messages per second, each emitted when
// its timestamp is reached. Observers send a status right away and then
// every StatusInterval.
func (s *Sim) Live(ctx context.Context, rate float64, maxTx int, fn func(Message) error) error {
	if rate <= 0 {
		rate = 10
	}
	const msgsPerTx = 4.5 // observations per transmission, roughly
	now := time.Now()
	s.resetStatus(now)
	next := now
	first := s.seq
	for {
		now = time.Now()
		limited := maxTx > 0 && s.seq-first >= maxTx
		if !limited {
			s.statusesUpTo(now)
		}
		if err := s.drain(now.Add(time.Nanosecond), fn); err != nil {
			return err
		}
		if limited && len(s.queue) == 0 {
			return nil
		}
		if !limited && !now.Before(next) {
			s.transmit(now)
			next = next.Add(time.Duration(s.r.ExpFloat64() * msgsPerTx / rate * float64(time.Second)))
			if next.Before(now.Add(-time.Second)) { // fell behind: don't burst to catch up
				next = now
			}
			continue
		}
		// Sleep until the next transmission or the next queued observation.
		wake := next
		if len(s.queue) > 0 && (limited || s.queue[0].m.Time.Before(wake)) {
			wake = s.queue[0].m.Time
		}
		d := max(time.Until(wake), time.Millisecond)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// txTimes returns n sorted times in [start, end] whose density follows a
// day/night curve (busiest in the afternoon, quietest before dawn).
func txTimes(r *rand.Rand, n int, start, end time.Time) []time.Time {
	if n <= 0 {
		return nil
	}
	span := end.Sub(start).Seconds()
	if span <= 0 {
		out := make([]time.Time, n)
		for i := range out {
			out[i] = end
		}
		return out
	}
	const bins = 1440
	cdf := make([]float64, bins+1)
	for i := 0; i < bins; i++ {
		t := start.Add(time.Duration((float64(i) + 0.5) / bins * span * float64(time.Second)))
		hour := float64(t.Hour()) + float64(t.Minute())/60
		// Local-ish day curve for the US west coast (UTC-8): peak ~16:00 local.
		local := math.Mod(hour-8+24, 24)
		w := 1 + 0.6*math.Cos((local-16)/24*2*math.Pi)
		cdf[i+1] = cdf[i] + w
	}
	total := cdf[bins]
	out := make([]time.Time, n)
	for i := range out {
		// Stratified sample keeps the sequence sorted and the count exact.
		u := (float64(i) + r.Float64()) / float64(n) * total
		lo, hi := 0, bins
		for lo+1 < hi {
			mid := (lo + hi) / 2
			if cdf[mid] <= u {
				lo = mid
			} else {
				hi = mid
			}
		}
		frac := (u - cdf[lo]) / (cdf[lo+1] - cdf[lo])
		sec := (float64(lo) + frac) / bins * span
		out[i] = start.Add(time.Duration(sec * float64(time.Second))).Truncate(time.Millisecond)
	}
	return out
}

// queued is a message waiting for its time; seq breaks ties so the order
// is deterministic.
type queued struct {
	m   Message
	seq uint64
}

type msgQueue []queued

func (q msgQueue) Len() int { return len(q) }
func (q msgQueue) Less(i, j int) bool {
	if !q[i].m.Time.Equal(q[j].m.Time) {
		return q[i].m.Time.Before(q[j].m.Time)
	}
	return q[i].seq < q[j].seq
}
func (q msgQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *msgQueue) Push(x any)   { *q = append(*q, x.(queued)) }
func (q *msgQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

func (s *Sim) enqueue(m Message) {
	s.msgSeq++
	heap.Push(&s.queue, queued{m: m, seq: s.msgSeq})
}
