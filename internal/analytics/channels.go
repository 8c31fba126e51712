package analytics

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/corescope/corescope/internal/store"
)

// Channels is GET /api/analytics/channels.
type Channels struct {
	ActiveChannels  int               `json:"activeChannels"`
	Decryptable     int               `json:"decryptable"`
	Channels        []ChannelStat     `json:"channels"`
	TopSenders      []SenderCount     `json:"topSenders"`
	ChannelTimeline []ChannelHourStat `json:"channelTimeline"`
	MsgLengths      []int             `json:"msgLengths"`
}

// ChannelStat is one channel's activity.
type ChannelStat struct {
	Hash         string `json:"hash"` // the 1-byte channel hash, decimal
	Name         string `json:"name"` // "#name"/"public", or "ch<hash>" when not decrypted
	Messages     int    `json:"messages"`
	Senders      int    `json:"senders"`
	LastActivity string `json:"lastActivity"`
	Encrypted    bool   `json:"encrypted"`
}

// SenderCount is messages per sender name.
type SenderCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// ChannelHourStat is one channel's messages in one hour.
type ChannelHourStat struct {
	Hour    string `json:"hour"`
	Channel string `json:"channel"`
	Count   int    `json:"count"`
}

const grpTxt = 5

// channelByte returns the channel hash byte of a GRP_TXT transmission from
// its decoded payload, -1 when absent.
func channelByte(t *store.Transmission) int {
	if t.DecodedJSON == "" {
		return -1
	}
	var d struct {
		ChannelHash *int `json:"channelHash"`
	}
	if json.Unmarshal([]byte(t.DecodedJSON), &d) != nil || d.ChannelHash == nil {
		return -1
	}
	return *d.ChannelHash
}

// ComputeChannels summarises GRP_TXT traffic in scope per channel: decrypted
// messages under their channel name, the others under "ch<hash>".
func ComputeChannels(v *View, p Scope) Channels {
	type acc struct {
		ChannelStat
		senders map[string]bool
		last    int64
	}
	by := map[string]*acc{}
	senders := map[string]int{}
	type hourKeyT struct {
		hour int64
		ch   string
	}
	timeline := map[hourKeyT]int{}
	out := Channels{MsgLengths: []int{}}
	v.eachOf(v.ByType(grpTxt), p.Filter, p.Window, func(t *store.Transmission, _ []*store.Observation) {
		b := channelByte(t)
		hash := ""
		if b >= 0 {
			hash = strconv.Itoa(b)
		}
		decrypted := t.ChannelHash != "" && !strings.HasPrefix(t.ChannelHash, "enc_")
		name := "ch" + hash
		if decrypted {
			name = t.ChannelHash
		}
		a := by[name]
		if a == nil {
			a = &acc{ChannelStat: ChannelStat{Hash: hash, Name: name, Encrypted: !decrypted}, senders: map[string]bool{}}
			by[name] = a
		}
		a.Messages++
		a.last = max(a.last, t.FirstSeen)
		timeline[hourKeyT{hourOf(t.FirstSeen), name}]++
		if !decrypted {
			return
		}
		if t.Sender != "" {
			a.senders[t.Sender] = true
			senders[t.Sender]++
		}
		out.MsgLengths = append(out.MsgLengths, len(t.Text))
	})
	out.Channels = make([]ChannelStat, 0, len(by))
	for _, a := range by {
		a.Senders = len(a.senders)
		a.LastActivity = store.FormatTime(a.last)
		out.Channels = append(out.Channels, a.ChannelStat)
		if !a.Encrypted {
			out.Decryptable++
		}
	}
	out.ActiveChannels = len(out.Channels)
	sort.Slice(out.Channels, func(i, j int) bool {
		a, b := out.Channels[i], out.Channels[j]
		return a.Messages > b.Messages || (a.Messages == b.Messages && a.Name < b.Name)
	})
	out.TopSenders = make([]SenderCount, 0, 15)
	for n, c := range senders {
		out.TopSenders = append(out.TopSenders, SenderCount{n, c})
	}
	sort.Slice(out.TopSenders, func(i, j int) bool {
		a, b := out.TopSenders[i], out.TopSenders[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Name < b.Name)
	})
	out.TopSenders = out.TopSenders[:min(15, len(out.TopSenders))]
	out.ChannelTimeline = make([]ChannelHourStat, 0, len(timeline))
	for k, c := range timeline {
		out.ChannelTimeline = append(out.ChannelTimeline, ChannelHourStat{hourKey(k.hour), k.ch, c})
	}
	sort.Slice(out.ChannelTimeline, func(i, j int) bool {
		a, b := out.ChannelTimeline[i], out.ChannelTimeline[j]
		return a.Hour < b.Hour || (a.Hour == b.Hour && a.Channel < b.Channel)
	})
	return out
}
