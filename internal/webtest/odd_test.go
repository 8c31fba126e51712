package webtest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/meshcore"
	"github.com/corescope/corescope/internal/meshsim"
)

// oddObserver is an observer public key that no workload message uses: packets it reports
// arrive from an observer the pages have never listed (no name, no IATA mapping, no position).
const oddObserver = "0DD0BE5E2F00000000000000000000000000000000000000000000000000CAFE"

// oddPackets are real vectors from the shared testdata (spec/testdata/packets.json) in shapes the
// simulated workload rarely or never produces: TRACE (route hops in the payload, SNR bytes in
// the header path), zero-hop direct, CONTROL, RAW_CUSTOM, a reserved payload type, payload-level
// decode errors and a long path of unknown prefixes. hash = CoreScope content hash.
var oddPackets = []struct{ name, hex, hash string }{
	{"TRACE direct, 4 SNR bytes", "2604302D0D2359FEE7B100000000006733D63367", "af081a2c41281b1e"},
	{"TRACE direct, one SNR byte", "260130A24D89BD0000000000FB", "2c9d6ab99d59069c"},
	{"TXT_MSG direct, zero hop", "0A00D69FD7A5A7475DB07337749AE61FA53A4788E976", "b1f07307cbc01ce5"},
	{"PATH flood 5 hops", "2105F464C77E411279399EFE1942B8A3FFA10F54D9C602FF2C8CF4", "6a383220e950e9a3"},
	{"CONTROL DISCOVER_REQ", "2E0080040102030400000000", "84564d18739faf13"},
	{"RAW_CUSTOM direct", "3E00C0FFEE0102030405", "3feb2d15da6a1377"},
	{"reserved payload type 0x0C", "31000102030405", "f2f5e8f32ed9df8f"},
	{"TRACE payload shorter than 9 bytes", "26000102030405", "6832abee9d38af7f"},
	{"GRP_TXT undecryptable, 2-byte path", "154613124F4CBB6729598700100066EDC9574C0388DE83D4A20CEA583F706AE11E36A080B65AAE1414FD10F08B549A975B1DB441DD0E8FC82C6006FF83B895C92DF8C3D47307542CA335CE9D582753942C", "178aaa929016a571"},
}

// freshRaw returns a RAW_CUSTOM direct packet whose payload ends in seq, so every call makes a
// transmission the server has not seen, and its content hash.
func freshRaw(seq int) (string, string, error) {
	raw := fmt.Sprintf("3E00C0FFEE%08X", seq)
	b, err := hex.DecodeString(raw)
	if err != nil {
		return "", "", fmt.Errorf("fresh packet %d: %w", seq, err)
	}
	h, err := meshcore.ContentHash(b)
	if err != nil {
		return "", "", fmt.Errorf("hash of fresh packet %d: %w", seq, err)
	}
	return raw, strings.ToLower(h), nil
}

// publishOdd publishes oddPackets as the bridge would, reported by oddObserver, then one fresh
// packet (new on every call) and answers {"hashes": [...], "fresh": hash}.
func publishOdd(ctx context.Context, p *meshsim.Publisher, st *stack) (any, error) {
	hashes := make([]string, 0, len(oddPackets))
	freshHex, fresh, err := freshRaw(st.seq)
	if err != nil {
		return nil, err
	}
	vectors := append(oddPackets[:len(oddPackets):len(oddPackets)], struct{ name, hex, hash string }{"fresh RAW_CUSTOM", freshHex, fresh})
	for _, o := range vectors {
		payload, _ := json.Marshal(map[string]string{
			"origin": "odd-observer", "timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000000"),
			"type": "PACKET", "direction": "rx", "raw": o.hex, "SNR": "-7.25", "RSSI": "-112",
		})
		m := meshsim.Message{Topic: "meshcore/ZZZ/" + oddObserver + "/packets", Payload: payload, Kind: meshsim.KindPacket}
		if err := p.Publish(ctx, m); err != nil {
			return nil, fmt.Errorf("publish %s: %w", o.name, err)
		}
		hashes = append(hashes, o.hash)
	}
	return struct {
		Hashes []string `json:"hashes"`
		Fresh  string   `json:"fresh"`
	}{hashes, fresh}, nil
}
