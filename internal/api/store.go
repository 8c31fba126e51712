package api

import (
	"time"

	"github.com/corescope/corescope/internal/store"
)

// Store is what the handlers need from the in-memory store (*store.Store
// implements it). Every method answers from memory, is safe for concurrent
// use and never waits for the sync.
type Store interface {
	Ready() bool
	Progress() store.LoadProgress
	Memory() store.MemoryStats
	Stats(now time.Time) store.Stats

	Packets(q store.PacketQuery) store.PacketPage
	NodePackets(nodes []string, q store.PacketQuery) store.PacketPage
	GroupedPackets(q store.PacketQuery) store.GroupedPage
	Packet(idOrHash string) (store.PacketDetail, error)
	ObservationsByHash(hashes []string) map[string][]store.ObsJSON
	Traces(hash string) []store.Trace
	Timestamps(since time.Time) []string

	Observers(now time.Time) store.ObserverList
	Observer(id string, now time.Time) (store.ObserverJSON, error)
	ObserverIATAs() []string
}

var _ Store = (*store.Store)(nil)
