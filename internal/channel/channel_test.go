package channel_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/corescope/corescope/internal/channel"
	"github.com/corescope/corescope/internal/meshcore"
)

func TestHashtagDerivationMatchesProtocolExamples(t *testing.T) {
	cases := []struct {
		name string
		key  string
		hash byte
	}{
		{"#wardriving", "e3c26491e9cd321e3a6be50d57d54acf", 0x81},
		{"#bot", "eb50a1bcb3e4e5d7bf69a57c9dada211", 0xCA},
		{"test", "9cd8fcf22a47333b591d96a2b848b73f", 0xD9}, // '#' added
		{"#public", "8b4b705b080c0d943b1c80f6b3ef6b6d", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := channel.HashtagKey(c.name)
			if got := hex.EncodeToString(k.Secret[:]); got != c.key {
				t.Errorf("secret = %s, want %s", got, c.key)
			}
			if c.hash != 0 && k.Hash != c.hash {
				t.Errorf("hash = %02X, want %02X", k.Hash, c.hash)
			}
			if k.Name[0] != '#' {
				t.Errorf("name %q lacks '#'", k.Name)
			}
		})
	}
	if pk := channel.PublicKey(); pk.Hash != 0x11 || pk.Name != "Public" {
		t.Errorf("Public key hash %02X name %q, want 11 Public", pk.Hash, pk.Name)
	}
}

func TestSealThenOpenTextRoundTrip(t *testing.T) {
	kr, err := channel.New(channel.Config{HashChannels: []string{"mytown"}})
	if err != nil {
		t.Fatal(err)
	}
	k, ok := kr.Lookup("#mytown")
	if !ok {
		t.Fatal("#mytown not in keyring")
	}
	payload := k.SealPayload(channel.TextPlaintext(1774804406, 0, 1, "Alice", "hello: world 🌍"))
	if payload[0] != k.Hash {
		t.Fatalf("payload channel hash %02X, want %02X", payload[0], k.Hash)
	}
	gt, st := kr.OpenText(payload[0], payload[1:3], payload[3:])
	if st != meshcore.Decrypted {
		t.Fatalf("status %q, want decrypted", st)
	}
	want := meshcore.GroupText{Channel: "#mytown", Timestamp: 1774804406, Attempt: 1,
		Sender: "Alice", Message: "hello: world 🌍", Text: "Alice: hello: world 🌍"}
	if gt != want {
		t.Errorf("got %+v\nwant %+v", gt, want)
	}

	// The same bytes as a whole packet (FLOOD GRP_TXT, no path).
	raw := append([]byte{0x15, 0x00}, payload...)
	p, err := meshcore.Decode(raw, meshcore.Options{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	g, ok := p.Group()
	if !ok || g.Channel != "#mytown" || g.Sender != "Alice" || g.DecryptionStatus != meshcore.Decrypted || p.Payload.Type != "CHAN" {
		t.Errorf("packet group = %+v ok=%v type %s", g, ok, p.Payload.Type)
	}
}

func TestWrongKeyFailsMAC(t *testing.T) {
	right := channel.HashtagKey("#right")
	wrong := channel.NewKey("#wrong", channel.HashtagKey("#other").Secret)
	payload := right.SealPayload(channel.TextPlaintext(1, 0, 0, "", "secret"))
	if _, err := wrong.Open(payload[1:3], payload[3:]); !errors.Is(err, channel.ErrMAC) {
		t.Fatalf("Open with wrong key: err = %v, want ErrMAC", err)
	}
	// A keyring holding a different key under the same channel-hash byte
	// must report decryption_failed, and never produce text.
	impostor := wrong
	impostor.Hash = right.Hash
	kr := channel.NewKeyring(impostor)
	if kr.Candidates(right.Hash) == nil {
		t.Fatal("impostor key not indexed under its hash")
	}
	gt, st := kr.OpenText(payload[0], payload[1:3], payload[3:])
	if st != meshcore.DecryptionFailed || gt.Text != "" {
		t.Errorf("status %q text %q, want decryption_failed and no text", st, gt.Text)
	}
	if _, _, st := kr.OpenData(payload[0], payload[1:3], payload[3:]); st != meshcore.DecryptionFailed {
		t.Errorf("OpenData status %q, want decryption_failed", st)
	}
}

func TestNoCandidateKeyIsNoKey(t *testing.T) {
	k := channel.HashtagKey("#nobody-has-this")
	payload := k.SealPayload(channel.TextPlaintext(1, 0, 0, "a", "b"))
	kr := channel.NewKeyring(channel.PublicKey())
	if k.Hash == 0x11 {
		t.Fatal("test premise broken: derived key shares Public's hash byte")
	}
	if _, st := kr.OpenText(payload[0], payload[1:3], payload[3:]); st != meshcore.DecryptionNoKey {
		t.Errorf("status %q, want no_key", st)
	}
	raw := append([]byte{0x15, 0x00}, payload...)
	p, err := meshcore.Decode(raw, meshcore.Options{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	if p.Payload.DecryptionStatus != "no_key" || p.Payload.Type != "GRP_TXT" || p.Payload.EncryptedData == "" {
		t.Errorf("payload %s, want encrypted GRP_TXT with no_key", p.PayloadJSON())
	}
}

func TestParseTextRules(t *testing.T) {
	mk := func(text string) []byte { return channel.TextPlaintext(7, 0, 0, "", text) }
	cases := []struct {
		name       string
		plain      []byte
		ok         bool
		sender     string
		message    string
		resultText string
	}{
		{"sender split", mk("Bob: hi there"), true, "Bob", "hi there", "Bob: hi there"},
		{"no separator", mk("just text"), true, "", "just text", "just text"},
		{"bracket in sender part", mk("[bot]: x"), true, "", "[bot]: x", "[bot]: x"},
		{"colon before separator", mk("a:b: c"), true, "", "a:b: c", "a:b: c"},
		{"separator at 0", mk(": x"), true, "", ": x", ": x"},
		{"nul terminates", append(mk("Al: yo"), 0, 'z', 'z'), true, "Al", "yo", "Al: yo"},
		{"too many control chars", mk("a\x01\x02\x03b"), false, "", "", ""},
		{"two control chars ok", mk("a\x01\x02b"), true, "", "a\x01\x02b", "a\x01\x02b"},
		{"invalid utf8", mk("a\xff\xfeb"), false, "", "", ""},
		{"too short", []byte{1, 2, 3, 4}, false, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gt, ok := channel.ParseText(c.plain)
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if !ok {
				return
			}
			if gt.Sender != c.sender || gt.Message != c.message || gt.Text != c.resultText || gt.Timestamp != 7 {
				t.Errorf("got %+v, want sender %q message %q text %q ts 7", gt, c.sender, c.message, c.resultText)
			}
		})
	}
}

func TestGroupDataRoundTrip(t *testing.T) {
	k := channel.HashtagKey("#test")
	plain, err := channel.DataPlaintext(0xFFFF, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	raw := append([]byte{0x19, 0x00}, k.SealPayload(plain)...)
	p, err := meshcore.Decode(raw, meshcore.Options{Keys: channel.NewKeyring(k)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"GRP_DATA","channelHash":217,"channelHashHex":"D9","decryptionStatus":"decrypted","channel":"#test","dataType":65535,"dataLen":5,"decryptedBlob":"68656c6c6f"}`
	if got := string(p.PayloadJSON()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, err := channel.DataPlaintext(1, make([]byte, 256)); err == nil {
		t.Error("DataPlaintext accepted 256 bytes")
	}
}

func TestConfigPriorityAndValidation(t *testing.T) {
	custom := "00112233445566778899aabbccddeeff"
	kr, err := channel.New(channel.Config{
		Rainbow:      map[string]string{"#rb": custom},
		HashChannels: []string{" #dup ", "plain"},
		Keys:         map[string]string{"#dup": custom, "public": custom, "Public": channel.PublicKeyHex},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"#rb", "#plain", "#dup", "Public", "#test", "#meshcore"} {
		if _, ok := kr.Lookup(name); !ok {
			t.Errorf("keyring lacks %q", name)
		}
	}
	if k, _ := kr.Lookup("#dup"); hex.EncodeToString(k.Secret[:]) != custom {
		t.Errorf("#dup: explicit key must win over derived, got %x", k.Secret)
	}
	if k, _ := kr.Lookup("Public"); hex.EncodeToString(k.Secret[:]) != channel.PublicKeyHex {
		t.Errorf("Public: canonical spelling must win, got %x", k.Secret)
	}
	if _, ok := kr.Lookup("public"); ok {
		t.Error("non-canonical name 'public' kept")
	}
	if _, err := channel.New(channel.Config{Keys: map[string]string{"bad": "zz"}}); err == nil {
		t.Error("invalid hex key accepted")
	}
	if _, err := channel.New(channel.Config{Keys: map[string]string{"short": "0011"}}); err == nil {
		t.Error("short key accepted")
	}
	bare, _ := channel.New(channel.Config{NoBuiltins: true})
	if bare.Len() != 0 {
		t.Errorf("NoBuiltins keyring has %d keys", bare.Len())
	}
	m, err := channel.ParseRainbow([]byte(`{"#a":"` + custom + `"}`))
	if err != nil || m["#a"] != custom {
		t.Errorf("ParseRainbow = %v, %v", m, err)
	}
	if _, err := channel.ParseRainbow([]byte(`[1]`)); err == nil {
		t.Error("ParseRainbow accepted an array")
	}
}

func TestNilKeyringIsEmpty(t *testing.T) {
	var kr *channel.Keyring
	if _, st := kr.OpenText(0x11, []byte{1, 2}, make([]byte, 16)); st != meshcore.DecryptionNoKey {
		t.Errorf("nil keyring OpenText status %q, want no_key", st)
	}
	raw := append([]byte{0x15, 0x00}, channel.PublicKey().SealPayload(channel.TextPlaintext(1, 0, 0, "a", "b"))...)
	p, err := meshcore.Decode(raw, meshcore.Options{Keys: kr})
	if err != nil || p.Payload.DecryptionStatus != "no_key" {
		t.Errorf("decode with nil keyring: %v, status %q", err, p.Payload.DecryptionStatus)
	}
}
