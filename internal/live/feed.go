package live

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"

	"github.com/corescope/corescope/internal/meshcore"
	"github.com/corescope/corescope/internal/store"
)

// Source is the part of the store the feed needs: new observations, one
// batch per sync tick.
type Source interface {
	Subscribe(buf int) (<-chan []store.LiveObservation, func())
}

// Feed turns every observation the store's sync adds into one `packet`
// message (API.md §4) and broadcasts it. Each message is encoded once, for
// all clients.
type Feed struct {
	src Source
	hub *Hub
	log *slog.Logger
}

// NewFeed connects src to hub.
func NewFeed(src Source, hub *Hub, log *slog.Logger) *Feed {
	if log == nil {
		log = slog.Default()
	}
	return &Feed{src: src, hub: hub, log: log.With("component", "live_feed")}
}

// Run broadcasts until ctx is done or the store closes the subscription.
func (f *Feed) Run(ctx context.Context) {
	// A few ticks of slack: the store drops (and counts) batches when we fall
	// behind rather than waiting for us.
	ch, cancel := f.src.Subscribe(64)
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case batch, ok := <-ch:
			if !ok {
				return
			}
			for i := range batch {
				msg, err := EncodePacketMessage(&batch[i])
				if err != nil {
					f.log.Error("encode live message", "hash", batch[i].Hash, "err", err)
					continue
				}
				f.hub.Broadcast(msg)
			}
		}
	}
}

// liveDecoded is the `decoded` object of a packet message: the payload type
// name, the parsed decoded_json (omitted when empty or invalid) and, for
// TRACE packets, the decoder's path object.
type liveDecoded struct {
	Header  liveHeader      `json:"header"`
	Payload json.RawMessage `json:"payload,omitempty"`
	Path    *meshcore.Path  `json:"path,omitempty"`
}

type liveHeader struct {
	PayloadTypeName string `json:"payloadTypeName"`
}

// EncodePacketMessage renders {"type":"packet","data":{…flat fields…,
// "decoded":{…},"packet":{…flat fields…}}}: the flat part is marshalled once
// and spliced in twice.
func EncodePacketMessage(o *store.LiveObservation) ([]byte, error) {
	flat, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	dec := liveDecoded{}
	if o.PayloadType != nil {
		dec.Header.PayloadTypeName = meshcore.PayloadTypeName(*o.PayloadType)
	} else {
		dec.Header.PayloadTypeName = "UNKNOWN"
	}
	if o.DecodedJSON != nil && json.Valid([]byte(*o.DecodedJSON)) {
		dec.Payload = json.RawMessage(*o.DecodedJSON)
	}
	if o.PayloadType != nil && *o.PayloadType == meshcore.PayloadTrace && o.Tx != nil {
		if p, err := meshcore.Decode(o.Tx.Raw, meshcore.Options{SkipSignature: true}); err == nil {
			path := p.Result().Path
			dec.Path = &path
		}
	}
	decoded, err := json.Marshal(dec)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(2*len(flat) + len(decoded) + 64)
	b.WriteString(`{"type":"packet","data":`)
	b.Write(flat[:len(flat)-1]) // without the closing brace
	b.WriteString(`,"decoded":`)
	b.Write(decoded)
	b.WriteString(`,"packet":`)
	b.Write(flat)
	b.WriteString(`}}`)
	return b.Bytes(), nil
}
