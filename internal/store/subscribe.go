package store

import (
	"sync"
	"sync/atomic"
)

// LiveObservation is one observation added by a sync tick, with the data of the
// WebSocket `packet` message (API.md §4): the transmission fields plus this
// observation's observer, signal and path.
type LiveObservation struct {
	ID               int64     `json:"id"` // transmission id
	RawHex           *string   `json:"raw_hex"`
	Hash             string    `json:"hash"`
	FirstSeen        string    `json:"first_seen"`
	Timestamp        string    `json:"timestamp"`
	RouteType        *int      `json:"route_type"`
	PayloadType      *int      `json:"payload_type"`
	DecodedJSON      *string   `json:"decoded_json"`
	ObserverID       *string   `json:"observer_id"`
	ObserverName     *string   `json:"observer_name"`
	SNR              *float64  `json:"snr"`
	RSSI             *float64  `json:"rssi"`
	PathJSON         *string   `json:"path_json"`
	Direction        *string   `json:"direction"`
	ObservationCount int       `json:"observation_count"`
	ResolvedPath     []*string `json:"resolved_path,omitempty"`

	// ObservationID and ObservedAt (unix ms) are for the hub; not in the message.
	ObservationID int64 `json:"-"`
	ObservedAt    int64 `json:"-"`
	// Tx and Obs point at the store records (read-only), e.g. for decoding.
	Tx  *Transmission `json:"-"`
	Obs *Observation  `json:"-"`
}

type subscriber struct {
	ch chan []LiveObservation
}

type subscribers struct {
	mu      sync.Mutex
	list    map[*subscriber]struct{}
	closed  bool
	dropped atomic.Int64
}

// Subscribe registers for the observations each sync tick adds. The channel
// receives one slice per tick (in observation id order); buf is its capacity
// (minimum 1). When the subscriber falls behind, batches are dropped and
// counted (Dropped), never waited for. The returned cancel unsubscribes and
// closes the channel; the channel is also closed when Run returns.
func (s *Store) Subscribe(buf int) (<-chan []LiveObservation, func()) {
	sub := &subscriber{ch: make(chan []LiveObservation, max(buf, 1))}
	s.subs.mu.Lock()
	if s.subs.closed {
		s.subs.mu.Unlock()
		close(sub.ch)
		return sub.ch, func() {}
	}
	if s.subs.list == nil {
		s.subs.list = make(map[*subscriber]struct{})
	}
	s.subs.list[sub] = struct{}{}
	s.subs.mu.Unlock()
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			s.subs.mu.Lock()
			if _, ok := s.subs.list[sub]; ok {
				delete(s.subs.list, sub)
				close(sub.ch)
			}
			s.subs.mu.Unlock()
		})
	}
}

// DroppedLiveBatches returns how many tick batches were dropped because a
// subscriber's channel was full.
func (s *Store) DroppedLiveBatches() int64 { return s.subs.dropped.Load() }

func (s *subscribers) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for sub := range s.list {
		close(sub.ch)
	}
	s.list = nil
}

// publish sends a tick's observations to every subscriber without blocking.
func (s *Store) publish(added []*Observation) {
	if len(added) == 0 {
		return
	}
	s.subs.mu.Lock()
	n := len(s.subs.list)
	s.subs.mu.Unlock()
	if n == 0 {
		return
	}
	os := s.observers.Load()
	batch := make([]LiveObservation, len(added))
	for i, o := range added {
		t := o.Tx
		v := s.obsView(os, o)
		fs := FormatTime(t.FirstSeen)
		pj := o.Path.PathJSON()
		batch[i] = LiveObservation{
			ID: t.ID, RawHex: strPtr(t.RawHex()), Hash: t.Hash, FirstSeen: fs, Timestamp: fs,
			RouteType: int8Ptr(t.RouteType), PayloadType: int8Ptr(t.PayloadType),
			DecodedJSON: strPtr(t.DecodedJSON), ObserverID: strPtr(v.ObserverID()),
			ObserverName: strPtr(v.ObserverName()), SNR: o.SNR.Ptr(), RSSI: o.RSSI.Ptr(),
			PathJSON: &pj, Direction: strPtr(o.Direction), ObservationCount: t.ObservationCount(),
			ResolvedPath: resolvedJSON(o.Resolved), ObservationID: o.ID, ObservedAt: o.Timestamp,
			Tx: t, Obs: o,
		}
	}
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	for sub := range s.subs.list {
		select {
		case sub.ch <- batch:
		default:
			s.subs.dropped.Add(1)
		}
	}
}
