package webtest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/channel"
	"github.com/corescope/corescope/internal/meshcore"
	"github.com/corescope/corescope/internal/meshsim"
)

// privateHashtag is a channel whose key the server does not have (it is not one of
// channel.CommonHashtags and the stack's config names no keys): only a browser that adds it by
// name can read its messages.
const privateHashtag = "#corescope-webtest-private"

func init() { publishKinds["private-channel"] = publishPrivateChannel }

// publishPrivateChannel publishes three GRP_TXT messages on privateHashtag (new texts on every
// call) as a flood packet with an empty path, reported by oddObserver, and answers
// {channel, keyHex, hashes, texts}: the key is computed here with internal/channel, the test's
// independent reference for the browser's derivation.
func publishPrivateChannel(ctx context.Context, p *meshsim.Publisher, st *stack) (any, error) {
	key := channel.HashtagKey(privateHashtag)
	var hashes, texts []string
	for i := 0; i < 3; i++ {
		text := fmt.Sprintf("secret %d.%d über the mesh", st.seq, i)
		plain := channel.TextPlaintext(uint32(time.Now().Unix())+uint32(i), 0, 0, "Ghost", text)
		raw := append([]byte{0x15, 0x00}, key.SealPayload(plain)...) // flood GRP_TXT, no hops
		h, err := meshcore.ContentHash(raw)
		if err != nil {
			return nil, fmt.Errorf("hash of private channel packet: %w", err)
		}
		payload, _ := json.Marshal(map[string]string{
			"origin": "odd-observer", "timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000000"),
			"type": "PACKET", "direction": "rx", "raw": strings.ToUpper(hex.EncodeToString(raw)), "SNR": "5.5", "RSSI": "-90",
		})
		m := meshsim.Message{Topic: "meshcore/ZZZ/" + oddObserver + "/packets", Payload: payload, Kind: meshsim.KindPacket}
		if err := p.Publish(ctx, m); err != nil {
			return nil, fmt.Errorf("publish private channel message: %w", err)
		}
		hashes = append(hashes, strings.ToLower(h))
		texts = append(texts, text)
	}
	return struct {
		Channel string   `json:"channel"`
		KeyHex  string   `json:"keyHex"`
		Hashes  []string `json:"hashes"`
		Texts   []string `json:"texts"`
	}{privateHashtag, hex.EncodeToString(key.Secret[:]), hashes, texts}, nil
}
