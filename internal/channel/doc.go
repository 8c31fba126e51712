// Package channel holds MeshCore group channel keys (the well-known Public
// key, #hashtag derivation, configured and rainbow-table keys) and performs
// the channel crypto: 2-byte HMAC-SHA256 MAC check, AES-128-ECB decryption
// and the GRP_TXT plaintext split, plus the inverse (Seal) for generators.
// *Keyring implements meshcore.KeyStore. Spec: PROTOCOL.md §3.4-3.5 and
// INGEST.md §8.1.
package channel
