package meshcore

import (
	"encoding/binary"
	"encoding/hex"
)

// decodeGrpTxt decodes a group channel text: channel hash, MAC, ciphertext,
// decrypted through opts.Keys when a key with that channel hash exists.
func decodeGrpTxt(p *Packet, b []byte, opts Options) {
	if len(b) < 3 {
		p.Payload = tooShort("GRP_TXT", b, errTooShort)
		return
	}
	ch, mac, ct := b[0], b[1:3], b[3:]
	status := DecryptionNoKey
	if opts.Keys != nil && len(ct) >= grpMinCipherForKey {
		var gt GroupText
		gt, status = opts.Keys.OpenText(ch, mac, ct)
		if status == Decrypted {
			p.Payload = Payload{
				Type:             "CHAN",
				ChannelHash:      int(ch),
				ChannelHashHex:   upperHexByte(ch),
				DecryptionStatus: string(Decrypted),
				Channel:          gt.Channel,
				Text:             gt.Text,
				Sender:           gt.Sender,
				SenderTimestamp:  gt.Timestamp,
			}
			return
		}
		if status != DecryptionFailed {
			status = DecryptionNoKey
		}
	}
	p.Payload = groupEnvelope("GRP_TXT", ch, mac, ct, status)
}

// decodeGrpData decodes a group datagram: data_type (2), data_len (1), data.
func decodeGrpData(p *Packet, b []byte, opts Options) {
	if len(b) < 3 {
		p.Payload = tooShort("GRP_DATA", b, errTooShort)
		return
	}
	ch, mac, ct := b[0], b[1:3], b[3:]
	status := DecryptionNoKey
	if opts.Keys != nil && len(ct) >= grpMinCipherForKey {
		var name string
		var plain []byte
		name, plain, status = opts.Keys.OpenData(ch, mac, ct)
		if status == Decrypted {
			p.Payload = Payload{
				Type:             "GRP_DATA",
				ChannelHash:      int(ch),
				ChannelHashHex:   upperHexByte(ch),
				DecryptionStatus: string(Decrypted),
				Channel:          name,
			}
			if len(plain) < 3 {
				p.Payload.Error = "inner too short"
				return
			}
			n := int(plain[2])
			p.Payload.DataType = intPtr(int(binary.LittleEndian.Uint16(plain[0:2])))
			p.Payload.DataLen = intPtr(n)
			if 3+n > len(plain) {
				p.Payload.Error = "inner data_len exceeds buffer"
				return
			}
			p.Payload.DecryptedBlob = hex.EncodeToString(plain[3 : 3+n])
			return
		}
		if status != DecryptionFailed {
			status = DecryptionNoKey
		}
	}
	p.Payload = groupEnvelope("GRP_DATA", ch, mac, ct, status)
}

// groupEnvelope is the payload of a GRP_TXT / GRP_DATA that was not
// decrypted: the envelope and why (no_key or decryption_failed).
func groupEnvelope(typ string, ch byte, mac, ct []byte, status DecryptionStatus) Payload {
	return Payload{
		Type:             typ,
		MAC:              hex.EncodeToString(mac),
		EncryptedData:    hex.EncodeToString(ct),
		ChannelHash:      int(ch),
		ChannelHashHex:   upperHexByte(ch),
		DecryptionStatus: string(status),
	}
}

// Group returns the typed channel info of a GRP_TXT / GRP_DATA packet;
// ok is false for other payload types and for too-short payloads.
func (p *Packet) Group() (GroupInfo, bool) {
	t := p.Header.PayloadType
	if (t != PayloadGrpTxt && t != PayloadGrpData) || len(p.PayloadBytes) < 3 {
		return GroupInfo{}, false
	}
	ch := p.PayloadBytes[0]
	return GroupInfo{
		ChannelHash:      ch,
		ChannelHashHex:   upperHexByte(ch),
		Channel:          p.Payload.Channel,
		DecryptionStatus: DecryptionStatus(p.Payload.DecryptionStatus),
		Sender:           p.Payload.Sender,
		Text:             p.Payload.Text,
		SenderTimestamp:  p.Payload.SenderTimestamp,
	}, true
}

// ColumnValue returns CoreScope's channel_hash column value: the channel
// name when decrypted, else "enc_" + the upper-case hash ("enc_6E").
func (g GroupInfo) ColumnValue() string {
	if g.DecryptionStatus == Decrypted && g.Channel != "" {
		return g.Channel
	}
	return "enc_" + g.ChannelHashHex
}
