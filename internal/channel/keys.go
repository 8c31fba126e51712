package channel

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/corescope/corescope/internal/meshcore"
)

// PublicName is the name of the firmware's default channel.
const PublicName = "Public"

// PublicKeyHex is the well-known secret of the Public channel (channel hash
// 0x11). It is not derived from a name: "#public" is a different channel.
const PublicKeyHex = "8b3387e9c5cdea6ac9e5edbaa115cd72"

// CommonHashtags are hashtag channels whose keys are derived and tried
// automatically, standing in for CoreScope's channel-rainbow.json (which is
// not available to us). They are names seen on public meshes: region-neutral
// topics a new operator would expect to "just work". Names are
// case-sensitive; each costs one candidate key on its channel-hash byte.
var CommonHashtags = []string{
	"#test", "#testing", "#general", "#chat", "#meshcore", "#mesh", "#public",
	"#emergency", "#help", "#sos", "#weather", "#news", "#bot", "#bots",
	"#ping", "#wardriving", "#mapping", "#repeaters", "#offtopic", "#random",
	"#local", "#hello", "#hi", "#radio", "#hamradio", "#lora",
	"#admin", "#dev", "#alerts", "#events", "#traffic", "#fire", "#ares",
	"#sar", "#hiking", "#outdoors", "#tech", "#meetup", "#sensors",
}

// Key is one channel secret with its name and channel-hash byte.
type Key struct {
	Name   string
	Secret [16]byte
	Hash   byte // SHA256(secret)[0]
	block  cipher.Block
}

// NewKey returns a key for name with the given 16-byte secret.
func NewKey(name string, secret [16]byte) Key {
	blk, err := aes.NewCipher(secret[:])
	if err != nil {
		// aes.NewCipher fails only for a wrong key length; 16 is fixed.
		panic(fmt.Sprintf("channel: aes key: %v", err))
	}
	return Key{Name: name, Secret: secret, Hash: Hash(secret), block: blk}
}

// Hash returns the channel-hash byte of a 16-byte secret: SHA256(secret)[0].
func Hash(secret [16]byte) byte {
	s := sha256.Sum256(secret[:])
	return s[0]
}

// HashtagName returns name trimmed and with a leading '#' added if missing.
// Hashtag channels and region scopes share the naming and derivation rule,
// so both come from meshcore.
func HashtagName(name string) string { return meshcore.RegionName(name) }

// HashtagSecret derives a hashtag channel's secret: SHA256("#name")[0:16].
// The '#' is added when missing; the name is case-sensitive.
func HashtagSecret(name string) [16]byte { return meshcore.RegionKey(name) }

// HashtagKey returns the derived key of a hashtag channel, named "#name".
func HashtagKey(name string) Key { return NewKey(HashtagName(name), HashtagSecret(name)) }

// PublicKey returns the well-known Public channel key.
func PublicKey() Key {
	k, _ := ParseSecret(PublicKeyHex)
	return NewKey(PublicName, k)
}

// ParseSecret parses a 32-hex-digit (16-byte) channel secret.
func ParseSecret(s string) ([16]byte, error) {
	var k [16]byte
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return k, fmt.Errorf("parse channel secret: %w", err)
	}
	if len(b) != 16 {
		return k, fmt.Errorf("parse channel secret: %d bytes, want 16", len(b))
	}
	copy(k[:], b)
	return k, nil
}

// ParseRainbow parses a channel-rainbow.json file: {"#name": "hexkey", …}.
func ParseRainbow(data []byte) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parse channel rainbow file: %w", err)
	}
	return m, nil
}

// Config lists the key sources of a Keyring, lowest priority first
// (INGEST.md §8.1). A later source replaces an earlier key of the same name.
type Config struct {
	// NoBuiltins leaves out the Public key and CommonHashtags.
	NoBuiltins bool
	// Rainbow maps names to hex secrets (channel-rainbow.json).
	Rainbow map[string]string
	// HashChannels are hashtag names whose keys are derived; an entry is
	// skipped if Keys has the same name.
	HashChannels []string
	// Keys are explicit name → hex secret entries (highest priority).
	// "public" in any case is normalised to "Public".
	Keys map[string]string
}

// Keyring is an immutable set of channel keys indexed by channel-hash byte.
// It is safe for concurrent use.
type Keyring struct {
	byHash [256][]Key
	keys   []Key // sorted by name
}

// New builds a Keyring from cfg. An invalid secret is an error naming the
// channel; nothing is partially applied.
func New(cfg Config) (*Keyring, error) {
	named := map[string][16]byte{}
	if !cfg.NoBuiltins {
		pk, _ := ParseSecret(PublicKeyHex)
		named[PublicName] = pk
		for _, n := range CommonHashtags {
			named[n] = HashtagSecret(n)
		}
	}
	for _, n := range sortedNames(cfg.Rainbow) {
		s, err := ParseSecret(cfg.Rainbow[n])
		if err != nil {
			return nil, fmt.Errorf("rainbow channel %q: %w", n, err)
		}
		named[n] = s
	}
	for _, n := range cfg.HashChannels {
		if strings.TrimSpace(n) == "" {
			continue
		}
		name := HashtagName(n)
		if _, explicit := cfg.Keys[name]; explicit {
			continue
		}
		named[name] = HashtagSecret(name)
	}
	// Canonical spellings are applied last so that "Public" wins over "public".
	names := sortedNames(cfg.Keys)
	sort.SliceStable(names, func(i, j int) bool { return canonicalName(names[i]) != names[i] && canonicalName(names[j]) == names[j] })
	for _, n := range names {
		s, err := ParseSecret(cfg.Keys[n])
		if err != nil {
			return nil, fmt.Errorf("channel key %q: %w", n, err)
		}
		named[canonicalName(n)] = s
	}
	keys := make([]Key, 0, len(named))
	for n, s := range named {
		keys = append(keys, NewKey(n, s))
	}
	return NewKeyring(keys...), nil
}

// NewKeyring returns a Keyring holding exactly keys (no built-ins). When two
// keys have the same name the later one wins.
func NewKeyring(keys ...Key) *Keyring {
	kr := &Keyring{}
	seen := map[string]int{}
	for _, k := range keys {
		if k.block == nil {
			k = NewKey(k.Name, k.Secret)
		}
		if i, ok := seen[k.Name]; ok {
			kr.keys[i] = k
			continue
		}
		seen[k.Name] = len(kr.keys)
		kr.keys = append(kr.keys, k)
	}
	sort.Slice(kr.keys, func(i, j int) bool { return kr.keys[i].Name < kr.keys[j].Name })
	for _, k := range kr.keys {
		kr.byHash[k.Hash] = append(kr.byHash[k.Hash], k)
	}
	return kr
}

func canonicalName(n string) string {
	if strings.EqualFold(n, PublicName) {
		return PublicName
	}
	return n
}

func sortedNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// A nil *Keyring is an empty keyring: a nil pointer stored in
// meshcore.Options.Keys must not crash the ingestor.

// Keys returns all keys sorted by name. The slice must not be modified.
func (kr *Keyring) Keys() []Key {
	if kr == nil {
		return nil
	}
	return kr.keys
}

// Len returns the number of keys.
func (kr *Keyring) Len() int { return len(kr.Keys()) }

// Candidates returns the keys whose channel hash is hash (nil if none).
func (kr *Keyring) Candidates(hash byte) []Key {
	if kr == nil {
		return nil
	}
	return kr.byHash[hash]
}

// Lookup returns the key with the given name.
func (kr *Keyring) Lookup(name string) (Key, bool) {
	keys := kr.Keys()
	i := sort.Search(len(keys), func(i int) bool { return keys[i].Name >= name })
	if i < len(keys) && keys[i].Name == name {
		return keys[i], true
	}
	return Key{}, false
}
