package store

import (
	"sort"
	"strings"
)

// Channel is one entry of GET /api/channels.
type Channel struct {
	Hash         string  `json:"hash"`
	Name         string  `json:"name"`
	LastMessage  *string `json:"lastMessage"`
	LastSender   *string `json:"lastSender"`
	MessageCount int     `json:"messageCount"`
	LastActivity string  `json:"lastActivity"`
	Encrypted    bool    `json:"encrypted,omitempty"`
}

// ChannelList is GET /api/channels.
type ChannelList struct {
	Channels []Channel `json:"channels"`
}

// ChannelMessage is one message of GET /api/channels/{hash}/messages.
type ChannelMessage struct {
	Sender          *string  `json:"sender"`
	Text            *string  `json:"text"`
	Timestamp       string   `json:"timestamp"` // latest observation
	FirstSeen       string   `json:"first_seen"`
	SenderTimestamp *int64   `json:"sender_timestamp"`
	PacketID        int64    `json:"packetId"` // id of the first observation
	PacketHash      string   `json:"packetHash"`
	Repeats         int      `json:"repeats"`
	Observers       []string `json:"observers"`
	Hops            int      `json:"hops"`
	SNR             *float64 `json:"snr"`
}

// ChannelMessages is GET /api/channels/{hash}/messages.
type ChannelMessages struct {
	Messages []ChannelMessage `json:"messages"`
	Total    int              `json:"total"`
}

// Channel page limits.
const (
	DefaultChannelLimit = 100
	MaxChannelLimit     = 1000
)

// regionObservers returns the observer idx set for IATA codes, nil when the
// region filter is off.
func regionObservers(os *observerSet, regions []string) map[int64]bool {
	codes := normRegions(regions)
	if len(codes) == 0 {
		return nil
	}
	set := map[int64]bool{}
	for _, c := range codes {
		for _, idx := range os.byIATA[c] {
			set[idx] = true
		}
	}
	return set
}

func heardIn(t *Transmission, set map[int64]bool) bool {
	if set == nil {
		return true
	}
	for _, o := range t.Observations() {
		if set[o.ObserverIdx] {
			return true
		}
	}
	return false
}

func isEncryptedChannel(key string) bool { return strings.HasPrefix(key, "enc_") }

// Channels lists the GRP_TXT channels with message counts and their newest
// message, most recently active first. Undecryptable groups (enc_XX) are listed
// only with includeEncrypted. With regions, only messages heard there count
// (API.md [quirk] fixed: messages, not observations).
func (s *Store) Channels(regions []string, includeEncrypted bool) ChannelList {
	os := s.observers.Load()
	set := regionObservers(os, regions)
	type entry struct {
		key  string
		list []*Transmission
	}
	var entries []entry
	s.mu.RLock()
	for k, l := range s.idx.byChannel {
		if isEncryptedChannel(k) && !includeEncrypted {
			continue
		}
		entries = append(entries, entry{k, l})
	}
	s.mu.RUnlock()
	out := ChannelList{Channels: []Channel{}}
	type withTime struct {
		c  Channel
		ms int64
	}
	var rows []withTime
	for _, e := range entries {
		count := 0
		var newest *Transmission
		var newestMs int64
		for i := len(e.list) - 1; i >= 0; i-- {
			t := e.list[i]
			if !heardIn(t, set) {
				continue
			}
			count++
			if lt := t.Latest(); newest == nil || lt > newestMs {
				newest, newestMs = t, lt
			}
		}
		if count == 0 {
			continue
		}
		c := Channel{Hash: e.key, Name: e.key, MessageCount: count, LastActivity: FormatTime(newestMs)}
		if isEncryptedChannel(e.key) {
			c.Encrypted = true
			c.Name = "Encrypted (0x" + strings.ToUpper(strings.TrimPrefix(e.key, "enc_")) + ")"
		} else {
			c.LastMessage = strPtr(newest.Text)
			c.LastSender = strPtr(newest.Sender)
		}
		rows = append(rows, withTime{c, newestMs})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].ms != rows[j].ms {
			return rows[i].ms > rows[j].ms
		}
		return rows[i].c.Hash < rows[j].c.Hash
	})
	for _, r := range rows {
		out.Channels = append(out.Channels, r.c)
	}
	return out
}

// ChannelMessages returns a page of a channel's messages: the newest by latest
// observation time (offset counted from the newest), returned oldest first so a
// UI can append at the bottom. Unknown channel → empty page.
func (s *Store) ChannelMessages(hash string, limit, offset int, regions []string) ChannelMessages {
	limit = clampLimit(limit, DefaultChannelLimit, MaxChannelLimit)
	offset = max(offset, 0)
	os := s.observers.Load()
	set := regionObservers(os, regions)
	s.mu.RLock()
	list := s.idx.byChannel[hash]
	s.mu.RUnlock()
	top := topRanked{k: offset + limit}
	total := 0
	for _, t := range list {
		if heardIn(t, set) {
			total++
			top.push(ranked{t, t.Latest()})
		}
	}
	items := top.sorted()
	out := ChannelMessages{Messages: []ChannelMessage{}, Total: total}
	lo := min(offset, len(items))
	hi := min(lo+limit, len(items))
	page := items[lo:hi]
	for i := len(page) - 1; i >= 0; i-- {
		t := page[i].t
		m := ChannelMessage{
			Sender: strPtr(t.Sender), Text: strPtr(t.Text), Timestamp: FormatTime(page[i].ms),
			FirstSeen: FormatTime(t.FirstSeen), PacketHash: t.Hash, Repeats: t.ObservationCount(),
			Observers: []string{},
		}
		if t.SenderTimestamp != 0 {
			v := t.SenderTimestamp
			m.SenderTimestamp = &v
		}
		if obs := t.Observations(); len(obs) > 0 {
			first := obs[0]
			m.PacketID = first.ID
			m.Hops = first.Path.Len()
			m.SNR = first.SNR.Ptr()
			if ob := os.byIdx[first.ObserverIdx]; ob != nil {
				name := ob.Name
				if name == "" {
					name = ob.ID
				}
				m.Observers = append(m.Observers, name)
			}
		}
		out.Messages = append(out.Messages, m)
	}
	return out
}
