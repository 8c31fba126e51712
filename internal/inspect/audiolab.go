// Package inspect holds the on-demand views of the store that are neither
// store indexes nor background analytics: the audio lab's sample buckets and
// the path inspector. Pure functions of an immutable *store.Snapshot; the
// api package memoises them per snapshot generation.
package inspect

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/corescope/corescope/internal/meshcore"
	"github.com/corescope/corescope/internal/store"
)

// SamplesPerType is how many packets the audio lab gets per payload type.
const SamplesPerType = 8

// AudioSample is one packet of GET /api/audio-lab/buckets.
type AudioSample struct {
	Hash             string  `json:"hash"`
	RawHex           string  `json:"raw_hex"`
	DecodedJSON      *string `json:"decoded_json"`
	ObservationCount int     `json:"observation_count"`
	PayloadType      *int    `json:"payload_type"`
	PathJSON         *string `json:"path_json"`
	ObserverID       *string `json:"observer_id"`
	Timestamp        string  `json:"timestamp"`
}

// AudioBuckets is GET /api/audio-lab/buckets.
type AudioBuckets struct {
	Buckets map[string][]AudioSample `json:"buckets"`
}

// AudioLab picks, for each payload type name (the decoded "type", else the
// header's payload type name, else UNKNOWN), up to SamplesPerType packets
// spread evenly over that type's packets ordered by raw length (ties by id),
// so the lab plays short and long packets alike.
func AudioLab(sn *store.Snapshot) AudioBuckets {
	groups := map[string][]*store.Transmission{}
	for _, t := range sn.Txs {
		name := typeName(t)
		groups[name] = append(groups[name], t)
	}
	out := AudioBuckets{Buckets: make(map[string][]AudioSample, len(groups))}
	for name, txs := range groups {
		sort.Slice(txs, func(i, j int) bool {
			if len(txs[i].Raw) != len(txs[j].Raw) {
				return len(txs[i].Raw) < len(txs[j].Raw)
			}
			return txs[i].ID < txs[j].ID
		})
		picks := spread(len(txs), SamplesPerType)
		samples := make([]AudioSample, len(picks))
		for k, i := range picks {
			samples[k] = sample(sn, txs[i])
		}
		out.Buckets[name] = samples
	}
	return out
}

// spread returns min(n, k) indexes into n items, evenly spaced from the first
// to the last (i·(n−1)/(k−1)).
func spread(n, k int) []int {
	if n <= k {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, k)
	for i := range out {
		out[i] = i * (n - 1) / (k - 1)
	}
	return out
}

// typeName reads the decoded payload's "type" (our codec and the original's
// both write it first, so the common case needs no JSON parse).
func typeName(t *store.Transmission) string {
	const pre = `{"type":"`
	if d := t.DecodedJSON; strings.HasPrefix(d, pre) {
		if end := strings.IndexByte(d[len(pre):], '"'); end > 0 {
			return d[len(pre) : len(pre)+end]
		}
	}
	if t.DecodedJSON != "" {
		var v struct {
			Type string `json:"type"`
		}
		if json.Unmarshal([]byte(t.DecodedJSON), &v) == nil && v.Type != "" {
			return v.Type
		}
	}
	if t.PayloadType >= 0 {
		return meshcore.PayloadTypeName(int(t.PayloadType))
	}
	return "UNKNOWN"
}

func sample(sn *store.Snapshot, t *store.Transmission) AudioSample {
	s := AudioSample{
		Hash: t.Hash, RawHex: t.RawHex(), ObservationCount: max(t.ObservationCount(), 1),
		Timestamp: store.FormatTime(t.FirstSeen),
	}
	if t.DecodedJSON != "" {
		d := t.DecodedJSON
		s.DecodedJSON = &d
	}
	if t.PayloadType >= 0 {
		pt := int(t.PayloadType)
		s.PayloadType = &pt
	}
	if b := t.Best(); b != nil {
		pj := b.Path.PathJSON()
		s.PathJSON = &pj
		if o := sn.Observer(b.ObserverIdx); o != nil {
			id := o.ID
			s.ObserverID = &id
		}
	}
	return s
}
