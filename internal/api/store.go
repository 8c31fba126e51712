package api

import (
	"time"

	"github.com/corescope/corescope/internal/config"
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
	DroppedLiveBatches() int64
	// Generation and Snapshot feed the analytics engine (analytics.Source).
	Generation() uint64
	Snapshot() *store.Snapshot

	PacketViews(q store.PacketQuery) store.PacketViewPage
	NodePacketViews(nodes []string, q store.PacketQuery) store.PacketViewPage
	GroupedPackets(q store.PacketQuery) store.GroupedPage
	Packet(idOrHash string) (store.PacketDetail, error)
	ObservationsByHash(hashes []string) map[string][]store.ObsJSON
	Traces(hash string) []store.Trace
	Timestamps(since time.Time) []string

	Nodes(q store.NodeQuery) store.NodePage
	// SetGeoFilter swaps the geo filter of the node lists (nil = off).
	SetGeoFilter(g *config.GeoFilter)
	SearchNodes(q string, limit int) []store.NodeJSON
	BulkHealth(limit int, regions []string, areaContains func(lat, lon float64) bool, now time.Time) []store.BulkHealthEntry
	Node(pubkeyOrPrefix string) (store.NodeDetail, error)
	NodeHealth(pubkey string, now time.Time) (store.NodeHealth, error)
	NodePaths(pubkey string) (store.NodePaths, error)
	NodeNeighbors(pubkey string, minCount int, minScore float64, includeAmbiguous bool, now time.Time) (store.NodeNeighbors, error)
	ResolveHops(hops []string, fromNode, observer string, now time.Time) store.ResolvedHops

	Channels(regions []string, includeEncrypted bool) store.ChannelList
	ChannelMessages(hash string, limit, offset int, regions []string) store.ChannelMessages

	Observers(now time.Time) store.ObserverList
	Observer(id string, now time.Time) (store.ObserverJSON, error)
	ObserverIATAs() []string

	// node and observer analytics (nodeanalytics.go)
	LookupNode(pubkeyOrPrefix string) (*store.Node, error)
	ObserverRows() []*store.Observer
	Metrics() *store.MetricsSet
	SetNodeScores(map[string]store.NodeScores) bool
}

var _ Store = (*store.Store)(nil)
