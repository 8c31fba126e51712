package channel

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/corescope/corescope/internal/meshcore"
)

const blockSize = 16

// ErrMAC is returned by Open when the MAC does not match the key.
var ErrMAC = errors.New("channel MAC mismatch")

// MAC returns the 2-byte cipher MAC: HMAC-SHA256(secret, ciphertext)[0:2].
// (The firmware keys HMAC with the secret plus 16 zero bytes; HMAC pads
// short keys with zeros, so the result is the same.)
func MAC(secret [16]byte, ciphertext []byte) [2]byte {
	m := hmac.New(sha256.New, secret[:])
	m.Write(ciphertext)
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	return [2]byte{sum[0], sum[1]}
}

// Open checks the MAC and decrypts ciphertext (AES-128-ECB, each block
// independently, no padding removed). A MAC mismatch returns ErrMAC; a
// ciphertext that is empty or not a multiple of 16 bytes is an error too.
func (k Key) Open(mac, ciphertext []byte) ([]byte, error) {
	if len(mac) != 2 {
		return nil, fmt.Errorf("open channel %s: MAC is %d bytes, want 2", k.Name, len(mac))
	}
	want := MAC(k.Secret, ciphertext)
	if !hmac.Equal(want[:], mac) {
		return nil, ErrMAC
	}
	if len(ciphertext) == 0 || len(ciphertext)%blockSize != 0 {
		return nil, fmt.Errorf("open channel %s: ciphertext of %d bytes is not whole AES blocks", k.Name, len(ciphertext))
	}
	if k.block == nil {
		k = NewKey(k.Name, k.Secret)
	}
	plain := make([]byte, len(ciphertext))
	for i := 0; i < len(ciphertext); i += blockSize {
		k.block.Decrypt(plain[i:i+blockSize], ciphertext[i:i+blockSize])
	}
	return plain, nil
}

// Seal encrypts plaintext (zero-padded to whole blocks) and returns the
// 2-byte MAC and the ciphertext.
func (k Key) Seal(plaintext []byte) (mac [2]byte, ciphertext []byte) {
	if k.block == nil {
		k = NewKey(k.Name, k.Secret)
	}
	n := (len(plaintext) + blockSize - 1) / blockSize * blockSize
	if n == 0 {
		n = blockSize
	}
	padded := make([]byte, n)
	copy(padded, plaintext)
	ciphertext = make([]byte, n)
	for i := 0; i < n; i += blockSize {
		k.block.Encrypt(ciphertext[i:i+blockSize], padded[i:i+blockSize])
	}
	return MAC(k.Secret, ciphertext), ciphertext
}

// SealPayload returns a whole GRP_TXT / GRP_DATA payload for plaintext:
// channel hash || MAC || ciphertext.
func (k Key) SealPayload(plaintext []byte) []byte {
	mac, ct := k.Seal(plaintext)
	out := make([]byte, 0, 3+len(ct))
	out = append(out, k.Hash, mac[0], mac[1])
	return append(out, ct...)
}

// TextPlaintext builds a GRP_TXT plaintext: timestamp (LE), flags
// (txt_type << 2 | attempt), then "sender: message" (or message alone when
// sender is empty), unterminated (Seal zero-pads).
func TextPlaintext(timestamp uint32, txtType, attempt int, sender, message string) []byte {
	text := message
	if sender != "" {
		text = sender + ": " + message
	}
	b := make([]byte, 5, 5+len(text))
	binary.LittleEndian.PutUint32(b, timestamp)
	b[4] = byte(txtType<<2 | attempt&3)
	return append(b, text...)
}

// DataPlaintext builds a GRP_DATA plaintext: data_type (LE), data_len,
// data. data longer than 255 bytes is an error.
func DataPlaintext(dataType uint16, data []byte) ([]byte, error) {
	if len(data) > 255 {
		return nil, fmt.Errorf("group data of %d bytes exceeds 255", len(data))
	}
	b := make([]byte, 3, 3+len(data))
	binary.LittleEndian.PutUint16(b, dataType)
	b[2] = byte(len(data))
	return append(b, data...), nil
}

// ParseText splits a GRP_TXT plaintext with CoreScope's rules: at least 5
// bytes; text runs from offset 5 to the first NUL; it must be valid UTF-8
// with at most 2 control characters (other than \n and \t; U+FFFD counts);
// the sender is the part before the first ": " when that is at index 1..49
// and holds none of ":[]". ok is false when the plaintext is rejected.
func ParseText(plain []byte) (meshcore.GroupText, bool) {
	if len(plain) < 5 {
		return meshcore.GroupText{}, false
	}
	body := plain[5:]
	if i := bytes.IndexByte(body, 0); i >= 0 {
		body = body[:i]
	}
	if !utf8.Valid(body) {
		return meshcore.GroupText{}, false
	}
	text := string(body)
	ctrl := 0
	for _, r := range text {
		if (r < 0x20 && r != '\n' && r != '\t') || r == utf8.RuneError {
			ctrl++
		}
	}
	if ctrl > 2 {
		return meshcore.GroupText{}, false
	}
	gt := meshcore.GroupText{
		Timestamp: binary.LittleEndian.Uint32(plain[0:4]),
		TxtType:   int(plain[4] >> 2),
		Attempt:   int(plain[4] & 3),
		Message:   text,
	}
	if i := strings.Index(text, ": "); i > 0 && i < 50 && !strings.ContainsAny(text[:i], ":[]") {
		gt.Sender = text[:i]
		gt.Message = text[i+2:]
	}
	gt.Text = gt.Message
	if gt.Sender != "" && gt.Message != "" {
		gt.Text = gt.Sender + ": " + gt.Message
	}
	return gt, true
}

// OpenText implements meshcore.KeyStore: it tries the keys with channel
// hash hash and returns the first plaintext that passes MAC and text checks.
func (kr *Keyring) OpenText(hash byte, mac, ciphertext []byte) (meshcore.GroupText, meshcore.DecryptionStatus) {
	cands := kr.Candidates(hash)
	if len(cands) == 0 {
		return meshcore.GroupText{}, meshcore.DecryptionNoKey
	}
	for _, k := range cands {
		plain, err := k.Open(mac, ciphertext)
		if err != nil {
			continue
		}
		gt, ok := ParseText(plain)
		if !ok {
			continue
		}
		gt.Channel = k.Name
		return gt, meshcore.Decrypted
	}
	return meshcore.GroupText{}, meshcore.DecryptionFailed
}

// OpenData implements meshcore.KeyStore for GRP_DATA: the first key with
// the channel hash whose MAC matches wins.
func (kr *Keyring) OpenData(hash byte, mac, ciphertext []byte) (string, []byte, meshcore.DecryptionStatus) {
	cands := kr.Candidates(hash)
	if len(cands) == 0 {
		return "", nil, meshcore.DecryptionNoKey
	}
	for _, k := range cands {
		plain, err := k.Open(mac, ciphertext)
		if err != nil {
			continue
		}
		return k.Name, plain, meshcore.Decrypted
	}
	return "", nil, meshcore.DecryptionFailed
}

var _ meshcore.KeyStore = (*Keyring)(nil)
