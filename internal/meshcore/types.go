package meshcore

import "errors"

// Route types (header bits 0-1).
const (
	RouteTransportFlood  = 0
	RouteFlood           = 1
	RouteDirect          = 2
	RouteTransportDirect = 3
)

// Payload types (header bits 2-5).
const (
	PayloadReq       = 0x00
	PayloadResponse  = 0x01
	PayloadTxtMsg    = 0x02
	PayloadAck       = 0x03
	PayloadAdvert    = 0x04
	PayloadGrpTxt    = 0x05
	PayloadGrpData   = 0x06
	PayloadAnonReq   = 0x07
	PayloadPath      = 0x08
	PayloadTrace     = 0x09
	PayloadMultipart = 0x0A
	PayloadControl   = 0x0B
	PayloadRawCustom = 0x0F
)

// Firmware limits (src/MeshCore.h).
const (
	MaxPathSize      = 64
	MaxPacketPayload = 184
	MaxTransUnit     = 255
)

// ErrMalformed is wrapped by every packet-level decode error, so callers can
// count malformed input with errors.Is.
var ErrMalformed = errors.New("malformed packet")

var routeTypeNames = [4]string{"TRANSPORT_FLOOD", "FLOOD", "DIRECT", "TRANSPORT_DIRECT"}

var payloadTypeNames = [16]string{
	"REQ", "RESPONSE", "TXT_MSG", "ACK", "ADVERT", "GRP_TXT", "GRP_DATA", "ANON_REQ",
	"PATH", "TRACE", "MULTIPART", "CONTROL", "UNKNOWN", "UNKNOWN", "UNKNOWN", "RAW_CUSTOM",
}

// RouteTypeName returns CoreScope's name for a route type ("FLOOD", …), or
// "UNKNOWN" outside 0..3.
func RouteTypeName(t int) string {
	if t < 0 || t > 3 {
		return "UNKNOWN"
	}
	return routeTypeNames[t]
}

// PayloadTypeName returns CoreScope's name for a payload type ("ADVERT", …);
// reserved values 0x0C-0x0E and anything outside 0..15 give "UNKNOWN".
func PayloadTypeName(t int) string {
	if t < 0 || t > 15 {
		return "UNKNOWN"
	}
	return payloadTypeNames[t]
}

// Header is the decoded first byte of a packet.
type Header struct {
	RouteType      int
	PayloadType    int
	PayloadVersion int
}

// RouteTypeName returns the route type's name.
func (h Header) RouteTypeName() string { return RouteTypeName(h.RouteType) }

// PayloadTypeName returns the payload type's name.
func (h Header) PayloadTypeName() string { return PayloadTypeName(h.PayloadType) }

// Byte re-encodes the header byte.
func (h Header) Byte() byte {
	return byte(h.PayloadVersion&3)<<6 | byte(h.PayloadType&0x0F)<<2 | byte(h.RouteType&3)
}

// TransportCodes are the two 16-bit codes of TRANSPORT_* route types, held
// as the uint16 little-endian values. JSON renders each as its two wire
// bytes in wire order, upper-case hex ("FA1A" for 0x1AFA), as CoreScope does.
type TransportCodes struct {
	Code1 uint16
	Code2 uint16
}

// Path is a decoded path: entries of HashSize bytes rendered as upper-case
// hex. HopsCompleted is set only for TRACE packets whose path was replaced by
// the trace route (PROTOCOL.md §3.8).
type Path struct {
	HashSize      int      `json:"hashSize"`
	HashCount     int      `json:"hashCount"`
	Hops          []string `json:"hops"`
	HopsCompleted *int     `json:"hopsCompleted,omitempty"`
}

// DecryptionStatus is the outcome of a channel decryption attempt.
type DecryptionStatus string

// Decryption outcomes as CoreScope stores them in decryptionStatus.
const (
	Decrypted          DecryptionStatus = "decrypted"
	DecryptionFailed   DecryptionStatus = "decryption_failed"
	DecryptionNoKey    DecryptionStatus = "no_key"
	decryptionNotTried DecryptionStatus = ""
)

// GroupText is a decrypted GRP_TXT plaintext.
type GroupText struct {
	Channel   string // key name: "Public", "#test", …
	Timestamp uint32 // sender clock, unix seconds
	TxtType   int    // flags bits 2-7 (0 = plain text)
	Attempt   int    // flags bits 0-1
	Sender    string // part before the first ": " (may be empty; not authenticated)
	Message   string // text after the sender split
	Text      string // Sender + ": " + Message, or Message alone
}

// KeyStore decrypts group channel payloads. *channel.Keyring implements it.
// Implementations must be safe for concurrent use.
type KeyStore interface {
	// OpenText tries the keys whose channel hash is hash on a GRP_TXT
	// ciphertext and returns the first plaintext whose MAC matches and
	// whose text passes the printable checks. Status is DecryptionNoKey when
	// no key has that hash, DecryptionFailed when keys were tried and none fit.
	OpenText(hash byte, mac, ciphertext []byte) (GroupText, DecryptionStatus)
	// OpenData is OpenText for GRP_DATA: the first key with a matching MAC
	// wins and the raw plaintext is returned with the key's name.
	OpenData(hash byte, mac, ciphertext []byte) (channel string, plaintext []byte, status DecryptionStatus)
}

// Options control Decode.
type Options struct {
	// Keys decrypts GRP_TXT / GRP_DATA; nil leaves them encrypted (no_key).
	Keys KeyStore
	// SkipSignature skips ADVERT Ed25519 verification (signatureValid is
	// then omitted from the JSON and AdvertInfo.SignatureChecked is false).
	SkipSignature bool
}

// Packet is one decoded packet.
type Packet struct {
	Header         Header
	TransportCodes *TransportCodes // nil for FLOOD and DIRECT
	PathLenByte    byte
	// HeaderPath is the raw wire path (for TRACE: SNR bytes), hop strings in
	// upper-case hex; HashSize is the size from path_len bits 6-7.
	HeaderPath Path
	// Path is CoreScope's path object (§5.1): HeaderPath with the DIRECT
	// zero-hop hashSize=0 rule, or the TRACE route.
	Path         Path
	Payload      Payload
	Raw          []byte // the whole packet; Decode does not copy its input
	PathBytes    []byte // sub-slice of Raw
	PayloadBytes []byte // sub-slice of Raw
	Hash         string // 16 lower-case hex digits (§4)
	Anomaly      string
}

// AdvertFlags is the decoded ADVERT app-data flags byte.
type AdvertFlags struct {
	Raw         int  `json:"raw"`
	Type        int  `json:"type"`
	Chat        bool `json:"chat"`
	Repeater    bool `json:"repeater"`
	Room        bool `json:"room"`
	Sensor      bool `json:"sensor"`
	HasLocation bool `json:"hasLocation"`
	HasFeat1    bool `json:"hasFeat1"`
	HasFeat2    bool `json:"hasFeat2"`
	HasName     bool `json:"hasName"`
}

// Payload is the decoded payload object; its JSON is exactly CoreScope's
// decoded_json (field order and omission rules of PROTOCOL.md §5.2).
type Payload struct {
	Type             string       `json:"type"`
	DestHash         string       `json:"destHash,omitempty"`
	SrcHash          string       `json:"srcHash,omitempty"`
	MAC              string       `json:"mac,omitempty"`
	EncryptedData    string       `json:"encryptedData,omitempty"`
	ExtraHash        string       `json:"extraHash,omitempty"`
	PubKey           string       `json:"pubKey,omitempty"`
	Timestamp        uint32       `json:"timestamp,omitempty"`
	TimestampISO     string       `json:"timestampISO,omitempty"`
	Signature        string       `json:"signature,omitempty"`
	SignatureValid   *bool        `json:"signatureValid,omitempty"`
	Flags            *AdvertFlags `json:"flags,omitempty"`
	Lat              *float64     `json:"lat,omitempty"`
	Lon              *float64     `json:"lon,omitempty"`
	Name             string       `json:"name,omitempty"`
	Feat1            *int         `json:"feat1,omitempty"`
	Feat2            *int         `json:"feat2,omitempty"`
	BatteryMV        *int         `json:"battery_mv,omitempty"`
	TemperatureC     *float64     `json:"temperature_c,omitempty"`
	ChannelHash      int          `json:"channelHash,omitempty"`
	ChannelHashHex   string       `json:"channelHashHex,omitempty"`
	DecryptionStatus string       `json:"decryptionStatus,omitempty"`
	Channel          string       `json:"channel,omitempty"`
	DataType         *int         `json:"dataType,omitempty"`
	DataLen          *int         `json:"dataLen,omitempty"`
	DecryptedBlob    string       `json:"decryptedBlob,omitempty"`
	Text             string       `json:"text,omitempty"`
	Sender           string       `json:"sender,omitempty"`
	SenderTimestamp  uint32       `json:"sender_timestamp,omitempty"`
	EphemeralPubKey  string       `json:"ephemeralPubKey,omitempty"`
	PathData         string       `json:"pathData,omitempty"`
	SNRValues        []float64    `json:"snrValues,omitempty"`
	Tag              uint32       `json:"tag,omitempty"`
	AuthCode         uint32       `json:"authCode,omitempty"`
	TraceFlags       *int         `json:"traceFlags,omitempty"`
	Raw              string       `json:"raw,omitempty"`
	Error            string       `json:"error,omitempty"`
	Remaining        *int         `json:"remaining,omitempty"`
	InnerType        *int         `json:"innerType,omitempty"`
	InnerTypeName    string       `json:"innerTypeName,omitempty"`
	InnerAckCrc      string       `json:"innerAckCrc,omitempty"`
	InnerPayload     string       `json:"innerPayload,omitempty"`
	CtrlFlags        string       `json:"ctrlFlags,omitempty"`
	CtrlZeroHop      *bool        `json:"ctrlZeroHop,omitempty"`
	CtrlLength       *int         `json:"ctrlLength,omitempty"`
	RawLength        *int         `json:"rawLength,omitempty"`
	FirstByteTag     string       `json:"firstByteTag,omitempty"`
}

// DecodeResult is the "decoded" object of POST /api/decode.
type DecodeResult struct {
	Header  Header   `json:"header"`
	Path    Path     `json:"path"`
	Payload *Payload `json:"payload"`
}

// Field is one byte range of a packet in a Breakdown. Kind is a stable
// lower-case group for colouring. Packet framing: header, transport,
// path_len, path (one per hop), snr (TRACE header path bytes). Payload
// fields: hash, mac, ciphertext, pubkey, timestamp, signature, flags,
// location, feature, name, telemetry, appdata, tag, route, control, data,
// and payload for anything else (unparsed or too-short payloads). Every
// kind other than header, transport, path_len, path and snr belongs to the
// payload section.
type Field struct {
	Offset      int    `json:"offset"`
	Length      int    `json:"length"`
	Name        string `json:"name"`
	Value       string `json:"value"`
	Description string `json:"description"`
	Kind        string `json:"kind"`
}

// AdvertInfo is the typed content of an ADVERT other packages need.
type AdvertInfo struct {
	PubKey           string // 64 lower-case hex digits
	Timestamp        uint32 // sender clock, unix seconds
	Type             int    // flags & 0x0F; -1 when the advert has no app data
	Role             string // "repeater", "companion", "room", "sensor", "none", or "type-N"
	Name             string
	HasLocation      bool
	Lat, Lon         float64
	SignatureChecked bool
	SignatureValid   bool
	BatteryMV        *int
	TemperatureC     *float64
}

// GroupInfo is the typed content of a GRP_TXT / GRP_DATA packet.
type GroupInfo struct {
	ChannelHash      byte
	ChannelHashHex   string // upper-case, 2 digits
	Channel          string // key name when decrypted
	DecryptionStatus DecryptionStatus
	Sender           string
	Text             string
	SenderTimestamp  uint32
}
