package store

import (
	"fmt"
	"sync"
	"time"
)

// GroupedCacheTTL bounds how stale a cached grouped list may be while new data
// keeps arriving.
const GroupedCacheTTL = time.Second

const groupedCacheMax = 32

// groupedCache holds sorted grouped-view match lists per filter set.
type groupedCache struct {
	mu      sync.Mutex
	entries map[string]groupedEntry
}

type groupedEntry struct {
	at   time.Time
	gen  uint64
	list []ranked
}

func groupedKey(q PacketQuery) string {
	return fmt.Sprintf("%v|%v|%q|%q|%s|%s|%q|%s|%d|%d|%q|%v", q.Types, q.Routes, q.Observers, q.Regions, q.Hash,
		q.Node, q.Nodes, q.Channel, msOrZero(q.Since), msOrZero(q.Until), q.AreaKey, q.AreaContains != nil)
}

// get returns the cached list for q when it is still valid (same data
// generation, or younger than GroupedCacheTTL), else computes and stores it.
// compute runs without the cache lock.
func (c *groupedCache) get(q PacketQuery, gen uint64, now time.Time, compute func() []ranked) []ranked {
	key := groupedKey(q)
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && (e.gen == gen || now.Sub(e.at) < GroupedCacheTTL) {
		return e.list
	}
	list := compute()
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= groupedCacheMax {
		c.entries = make(map[string]groupedEntry)
	}
	c.entries[key] = groupedEntry{at: now, gen: gen, list: list}
	c.mu.Unlock()
	return list
}
