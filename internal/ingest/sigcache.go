package ingest

import "sync"

// sigCache remembers the Ed25519 verdict per advert content hash. Every
// observer in range reports the same advert, and verification (~70 µs) was
// the largest decode cost in the ingest profile; the hash covers the signed
// bytes and the signature, so the verdict is a property of the hash.
type sigCache struct {
	mu   sync.Mutex
	m    map[string]bool
	ring []string // insertion order, for FIFO eviction
	next int
}

func newSigCache(size int) *sigCache {
	return &sigCache{m: make(map[string]bool, size), ring: make([]string, size)}
}

func (c *sigCache) get(hash string) (valid, ok bool) {
	c.mu.Lock()
	valid, ok = c.m[hash]
	c.mu.Unlock()
	return valid, ok
}

func (c *sigCache) put(hash string, valid bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[hash]; ok {
		return
	}
	if old := c.ring[c.next]; old != "" {
		delete(c.m, old)
	}
	c.ring[c.next] = hash
	c.next = (c.next + 1) % len(c.ring)
	c.m[hash] = valid
}
