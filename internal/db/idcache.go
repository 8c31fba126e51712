package db

// idCache maps transmission hashes to ids so the writer can skip the insert
// attempt and the lookup for duplicates, which are most observations (each
// packet is heard by several observers). It is a two-generation map: when the
// young generation is full it becomes the old one and the previous old one is
// dropped, so memory stays within 2×size entries and recently used hashes
// survive. Not safe for concurrent use (the Writer's mutex guards it).
type idCache struct {
	size       int
	young, old map[string]int64
}

func newIDCache(size int) *idCache {
	return &idCache{size: size, young: make(map[string]int64, size), old: map[string]int64{}}
}

func (c *idCache) get(k string) (int64, bool) {
	if v, ok := c.young[k]; ok {
		return v, true
	}
	if v, ok := c.old[k]; ok {
		c.put(k, v) // promote
		return v, true
	}
	return 0, false
}

func (c *idCache) put(k string, v int64) {
	if len(c.young) >= c.size {
		c.old = c.young
		c.young = make(map[string]int64, c.size)
	}
	c.young[k] = v
}

func (c *idCache) reset() {
	c.young = make(map[string]int64, c.size)
	c.old = map[string]int64{}
}
