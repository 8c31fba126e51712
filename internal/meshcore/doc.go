// Package meshcore is the MeshCore LoRa packet codec: it splits a raw packet
// into header, transport codes, path and payload, decodes every payload type,
// verifies advert signatures, computes the de-duplication hash and produces
// the JSON that CoreScope stores and serves. It is pure (no I/O) and imports
// nothing else from this module; channel decryption is injected through the
// KeyStore interface (implemented by *channel.Keyring).
//
// The specification is ../shared/spec/PROTOCOL.md. Entry points:
//
//   - Decode / DecodeHex parse one packet. Packet-level problems (short input,
//     invalid path length, oversized payload, bad hex) return an error; a
//     payload too short for its type still decodes and carries Payload.Error.
//   - Packet.PayloadJSON is the transmissions.decoded_json column,
//     Packet.PathHops the path_json hops, Packet.Result the "decoded" object of
//     POST /api/decode, Packet.Hash the 16-hex-digit hash column.
//   - Packet.Advert and Packet.Group give typed ADVERT / channel message info
//     without re-parsing JSON.
//   - Breakdown / Packet.Breakdown list the byte ranges of every field (used by
//     the UI's coloured hex dump); the fields tile the packet exactly.
//   - ContentHash computes the de-duplication hash of raw bytes.
//   - RegionKey / RegionCode / Packet.MatchRegion resolve transport-code
//     region scopes (PROTOCOL.md §1.2, INGEST.md §8.2).
//
// Deliberate differences from CoreScope 13bdee57: ContentHash returns an
// error for malformed input instead of a hex-prefix fallback; ADVERT names
// are cut to 32 bytes at a UTF-8 character boundary; channel keys are tried
// only when their channel-hash byte matches the packet's.
package meshcore
