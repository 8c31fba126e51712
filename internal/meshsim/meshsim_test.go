package meshsim

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/channel"
	"github.com/corescope/corescope/internal/meshcore"
)

var testEnd = time.Date(2026, 3, 29, 18, 0, 0, 0, time.UTC)

func smallSim(seed int64) *Sim {
	return New(Options{Seed: seed, Nodes: 80, Observers: 5, End: testEnd, Duration: 2 * time.Hour})
}

func defaultKeyring(t *testing.T) *channel.Keyring {
	t.Helper()
	kr, err := channel.New(channel.Config{})
	if err != nil {
		t.Fatalf("channel.New: %v", err)
	}
	return kr
}

// packetFields is the part of the bridge packet message the tests read.
type packetFields struct {
	Origin    string `json:"origin"`
	OriginID  string `json:"origin_id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Direction string `json:"direction"`
	Raw       string `json:"raw"`
	SNR       string `json:"SNR"`
	RSSI      string `json:"RSSI"`
	Hash      string `json:"hash"`
}

func TestEveryGeneratedPacketDecodesWithTheRealDecoder(t *testing.T) {
	s := smallSim(7)
	kr := defaultKeyring(t)
	byKey := map[string]*Node{}
	for _, n := range s.Nodes() {
		byKey[n.PubKey] = n
	}
	obsByID := map[string]*Observer{}
	for _, o := range s.Observers() {
		obsByID[o.ID] = o
	}
	types := map[int]int{}
	routes := map[int]int{}
	hashSizes := map[int]int{}
	decryptedChannels := map[string]int{}
	privateSeen, sensorTelemetry, tracesWithSNR, scoped := 0, 0, 0, 0
	msgs := s.Generate(3000)
	for i, m := range msgs {
		if m.Kind != KindPacket {
			continue
		}
		var f packetFields
		if err := json.Unmarshal(m.Payload, &f); err != nil {
			t.Fatalf("message %d: payload is not JSON: %v", i, err)
		}
		ob := obsByID[m.ObserverID]
		if ob == nil || f.OriginID != ob.ID || f.Origin != ob.Name || m.Topic != "meshcore/"+ob.IATA+"/"+ob.ID+"/packets" {
			t.Fatalf("message %d: topic %q origin %q/%q does not match an observer", i, m.Topic, f.Origin, f.OriginID)
		}
		if f.Type != "PACKET" || f.Direction != "rx" || f.Raw != m.Raw || f.Hash != strings.ToUpper(m.Hash) {
			t.Fatalf("message %d: envelope %+v vs metadata raw %s hash %s", i, f, m.Raw, m.Hash)
		}
		p, err := meshcore.DecodeHex(f.Raw, meshcore.Options{Keys: kr})
		if err != nil {
			t.Fatalf("message %d (type %d): decode %s: %v", i, m.PayloadType, f.Raw, err)
		}
		if p.Hash != m.Hash {
			t.Fatalf("message %d: decoder hash %s, metadata %s", i, p.Hash, m.Hash)
		}
		if p.Header.PayloadType != m.PayloadType || p.Header.RouteType != m.RouteType {
			t.Fatalf("message %d: header %+v, metadata type %d route %d", i, p.Header, m.PayloadType, m.RouteType)
		}
		if p.Payload.Error != "" || p.Anomaly != "" {
			t.Fatalf("message %d: payload error %q anomaly %q in %s", i, p.Payload.Error, p.Anomaly, f.Raw)
		}
		if got := p.PathHops(); !slices.Equal(got, m.Hops) && !(len(got) == 0 && len(m.Hops) == 0) {
			t.Fatalf("message %d (type %d): hops %v, metadata %v", i, m.PayloadType, got, m.Hops)
		}
		types[m.PayloadType]++
		routes[m.RouteType]++
		if m.PayloadType != meshcore.PayloadTrace {
			hashSizes[m.HashSize]++
			// Every path entry is a prefix of a real repeater key.
			for _, h := range m.Hops {
				if !hasRepeaterPrefix(s, h) {
					t.Fatalf("message %d: hop %s is no repeater's key prefix", i, h)
				}
			}
		}
		switch m.PayloadType {
		case meshcore.PayloadAdvert:
			a, ok := p.Advert()
			n := byKey[m.From]
			if !ok || n == nil || a.PubKey != n.PubKey {
				t.Fatalf("message %d: advert %+v from %s", i, a, m.From)
			}
			if !a.SignatureChecked || !a.SignatureValid {
				t.Fatalf("message %d: advert signature not valid: %+v", i, a)
			}
			if a.Name != n.Name || a.Role != string(n.Role) || a.HasLocation != n.HasLocation {
				t.Fatalf("message %d: advert name %q role %q loc %v, node %q %q %v", i, a.Name, a.Role, a.HasLocation, n.Name, n.Role, n.HasLocation)
			}
			if n.HasLocation && (a.Lat != n.Lat || a.Lon != n.Lon) {
				t.Fatalf("message %d: advert at %v,%v, node at %v,%v", i, a.Lat, a.Lon, n.Lat, n.Lon)
			}
			if n.Role == RoleSensor {
				if a.BatteryMV == nil || a.TemperatureC == nil {
					t.Fatalf("message %d: sensor advert without telemetry: %s", i, p.PayloadJSON())
				}
				sensorTelemetry++
			}
		case meshcore.PayloadGrpTxt:
			g, ok := p.Group()
			if !ok {
				t.Fatalf("message %d: GRP_TXT without group info", i)
			}
			if m.Channel == "" {
				if g.DecryptionStatus == meshcore.Decrypted {
					t.Fatalf("message %d: private channel decrypted as %q", i, g.Channel)
				}
				privateSeen++
				break
			}
			if g.DecryptionStatus != meshcore.Decrypted || g.Channel != m.Channel || g.Text != m.Text {
				t.Fatalf("message %d: channel %q status %s text %q, want %q %q", i, g.Channel, g.DecryptionStatus, g.Text, m.Channel, m.Text)
			}
			if n := byKey[m.From]; n == nil || g.Sender != n.Name {
				t.Fatalf("message %d: sender %q, want node name of %s", i, g.Sender, m.From)
			}
			decryptedChannels[g.Channel]++
		case meshcore.PayloadGrpData:
			if p.Payload.DecryptionStatus != string(meshcore.Decrypted) || p.Payload.Channel != m.Channel || p.Payload.DataType == nil || *p.Payload.DataType != 0xFFFF {
				t.Fatalf("message %d: GRP_DATA %s", i, p.PayloadJSON())
			}
		case meshcore.PayloadTrace:
			if p.Path.HopsCompleted == nil || len(p.Payload.SNRValues) != *p.Path.HopsCompleted {
				t.Fatalf("message %d: trace path %+v snr %v", i, p.Path, p.Payload.SNRValues)
			}
			if len(p.Payload.SNRValues) > 0 {
				tracesWithSNR++
			}
		}
		if m.RouteType == meshcore.RouteTransportFlood {
			regions := []meshcore.Region{meshcore.NewRegion("#pdx"), meshcore.NewRegion("#sea")}
			if got := p.MatchRegion(regions); got == "" || got != m.Scope {
				t.Fatalf("message %d: transport flood matches region %q, metadata scope %q", i, got, m.Scope)
			}
			scoped++
		} else if m.Scope != "" {
			t.Fatalf("message %d: route %d with scope %q", i, m.RouteType, m.Scope)
		}
	}
	for _, pt := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11} {
		if types[pt] == 0 {
			t.Errorf("payload type %d never generated (counts %v)", pt, types)
		}
	}
	for _, rt := range []int{0, 1, 2} {
		if routes[rt] == 0 {
			t.Errorf("route type %d never generated (counts %v)", rt, routes)
		}
	}
	for _, hs := range []int{1, 2, 3} {
		if hashSizes[hs] == 0 {
			t.Errorf("path hash size %d never generated (counts %v)", hs, hashSizes)
		}
	}
	for _, c := range s.Channels() {
		if decryptedChannels[c] == 0 {
			t.Errorf("channel %s never decrypted (counts %v)", c, decryptedChannels)
		}
	}
	if privateSeen == 0 || sensorTelemetry == 0 || tracesWithSNR == 0 || scoped == 0 {
		t.Errorf("private channel msgs %d, sensor telemetry adverts %d, traces with SNR %d, scoped floods %d: want all > 0",
			privateSeen, sensorTelemetry, tracesWithSNR, scoped)
	}
}

func hasRepeaterPrefix(s *Sim, hop string) bool {
	for _, n := range s.Nodes() {
		if n.Role == RoleRepeater && strings.HasPrefix(strings.ToUpper(n.PubKey), hop) {
			return true
		}
	}
	return false
}

func TestChannelsAreDerivedByTheCodecWithoutConfig(t *testing.T) {
	s := smallSim(1)
	for _, c := range s.Channels() {
		if c != channel.PublicName && !slices.Contains(channel.CommonHashtags, c) {
			t.Errorf("channel %q is not built into the codec: the demo would not decrypt it", c)
		}
	}
}

func ndjson(t *testing.T, msgs []Message) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, m := range msgs {
		if err := WriteNDJSON(&b, m); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestSameOptionsGiveByteIdenticalOutput(t *testing.T) {
	a := ndjson(t, smallSim(42).Generate(400))
	b := ndjson(t, smallSim(42).Generate(400))
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs with seed 42 differ (%d vs %d bytes)", len(a), len(b))
	}
	c := ndjson(t, smallSim(43).Generate(400))
	if bytes.Equal(a, c) {
		t.Fatal("seeds 42 and 43 gave identical output")
	}
}

func TestReferenceShapedWorkloadFansOutToSeveralObservers(t *testing.T) {
	s := New(Options{Seed: 3, Nodes: 400, Observers: 10, End: testEnd, Duration: 24 * time.Hour})
	const n = 4000
	msgs := s.Generate(n)
	perObserver := map[string]int{}
	statusFirst := map[string]bool{}
	pathLens := map[string]map[int]bool{}
	seqs := map[int]bool{}
	uniq := map[string]bool{}
	packets, newTx := 0, 0
	start := testEnd.Add(-24 * time.Hour)
	var prev time.Time
	for i, m := range msgs {
		if m.Time.Before(prev) {
			t.Fatalf("message %d at %s is before the previous one at %s", i, m.Time, prev)
		}
		prev = m.Time
		if _, seen := statusFirst[m.ObserverID]; !seen {
			statusFirst[m.ObserverID] = m.Kind == KindStatus
		}
		if m.Time.Before(start.Add(-time.Minute)) || m.Time.After(testEnd.Add(time.Minute)) {
			t.Fatalf("message %d at %s outside the window ending %s", i, m.Time, testEnd)
		}
		if m.Kind != KindPacket {
			continue
		}
		packets++
		perObserver[m.ObserverID]++
		// The ingestor folds (observer, hash, path) duplicates into one row,
		// so the generator never emits them: counts stay exact for tests.
		key := m.ObserverID + m.Hash + strings.Join(m.Hops, ",")
		if uniq[key] {
			t.Fatalf("message %d: observer %s reported hash %s over path %v twice", i, m.ObserverID, m.Hash, m.Hops)
		}
		uniq[key] = true
		seqs[m.Seq] = true
		if m.IsNewTx {
			newTx++
		}
		if pathLens[m.Hash] == nil {
			pathLens[m.Hash] = map[int]bool{}
		}
		pathLens[m.Hash][len(m.Hops)] = true
		if m.SNR < -20 || m.SNR > 12 || m.RSSI < -120 || m.RSSI > -40 {
			t.Fatalf("message %d: SNR %v RSSI %v out of range", i, m.SNR, m.RSSI)
		}
		var f packetFields
		_ = json.Unmarshal(m.Payload, &f)
		if snr, err := strconv.ParseFloat(f.SNR, 64); err != nil || snr != m.SNR {
			t.Fatalf("message %d: SNR field %q, metadata %v", i, f.SNR, m.SNR)
		}
	}
	if len(seqs) != n {
		t.Errorf("%d of %d transmissions were observed at least once", len(seqs), n)
	}
	perTx := float64(packets) / float64(n)
	if perTx < 3 || perTx > 5.5 {
		t.Errorf("observations per transmission %.2f, want about 4", perTx)
	}
	if newTx < n { // TRACE copies at each hop have distinct hashes, so >= n
		t.Errorf("%d distinct hashes for %d transmissions", newTx, n)
	}
	for _, o := range s.Observers() {
		if perObserver[o.ID] == 0 {
			t.Errorf("observer %s (%s) heard nothing", o.Name, o.IATA)
		}
		if !statusFirst[o.ID] {
			t.Errorf("observer %s: first message is not a status", o.Name)
		}
	}
	multi := 0
	for _, lens := range pathLens {
		if len(lens) > 1 {
			multi++
		}
	}
	if multi < len(pathLens)/10 {
		t.Errorf("only %d of %d hashes were heard with different path lengths", multi, len(pathLens))
	}
	iatas := map[string]bool{}
	for _, o := range s.Observers() {
		iatas[o.IATA] = true
	}
	if !iatas["SEA"] || !iatas["PDX"] {
		t.Errorf("observer regions %v, want SEA and PDX", iatas)
	}
	t.Logf("%d transmissions, %d observations (%.2f per transmission), %d hashes", n, packets, perTx, newTx)
}

func TestNodesHaveDistinctIdentitiesRolesAndPlausibleNames(t *testing.T) {
	s := New(Options{Seed: 9, Nodes: 400, Observers: 10, End: testEnd})
	keys, names := map[string]bool{}, map[string]bool{}
	roles := map[Role]int{}
	nonASCII := 0
	for _, n := range s.Nodes() {
		if len(n.PubKey) != 64 || keys[n.PubKey] {
			t.Fatalf("node %d: bad or duplicate key %q", n.Index, n.PubKey)
		}
		keys[n.PubKey] = true
		if n.Name == "" || len(n.Name) > 32 || names[n.Name] {
			t.Fatalf("node %d: bad or duplicate name %q", n.Index, n.Name)
		}
		names[n.Name] = true
		roles[n.Role]++
		for _, c := range n.Name {
			if c > 127 {
				nonASCII++
				break
			}
		}
		center := DefaultRegions()[0]
		if n.IATA == "PDX" {
			center = DefaultRegions()[1]
		}
		if d := distanceKm(n.Lat, n.Lon, center.Lat, center.Lon); d > center.RadiusKm+0.1 {
			t.Fatalf("node %q is %.1f km from the %s centre", n.Name, d, n.IATA)
		}
	}
	for _, r := range []Role{RoleCompanion, RoleRepeater, RoleRoom, RoleSensor} {
		if roles[r] == 0 {
			t.Errorf("no %s nodes (%v)", r, roles)
		}
	}
	if nonASCII == 0 {
		t.Error("no node name with emoji or non-ASCII characters")
	}
	if len(s.Observers()) != 10 {
		t.Fatalf("%d observers, want 10", len(s.Observers()))
	}
	for _, o := range s.Observers() {
		n := s.Nodes()[o.Node]
		if o.ID != strings.ToUpper(n.PubKey) || n.Role != RoleRepeater || o.IATA != n.IATA {
			t.Errorf("observer %s: id/role/iata do not match its node %+v", o.Name, n)
		}
	}
}

type statusFields struct {
	Status          string `json:"status"`
	Timestamp       string `json:"timestamp"`
	Origin          string `json:"origin"`
	OriginID        string `json:"origin_id"`
	Radio           string `json:"radio"`
	Model           string `json:"model"`
	FirmwareVersion string `json:"firmware_version"`
	ClientVersion   string `json:"client_version"`
	Stats           struct {
		BatteryMV   *int     `json:"battery_mv"`
		UptimeSecs  *int64   `json:"uptime_secs"`
		NoiseFloor  *float64 `json:"noise_floor"`
		TxAirSecs   *int     `json:"tx_air_secs"`
		RxAirSecs   *int     `json:"rx_air_secs"`
		RecvErrors  *int     `json:"recv_errors"`
		PacketsRecv *int     `json:"packets_recv"`
	} `json:"stats"`
}

func TestObserversPublishPeriodicStatus(t *testing.T) {
	s := smallSim(5)
	msgs := s.Generate(500)
	last := map[string]statusFields{}
	lastAt := map[string]time.Time{}
	count := 0
	for _, m := range msgs {
		if m.Kind != KindStatus {
			continue
		}
		count++
		if !strings.HasSuffix(m.Topic, "/status") || !strings.Contains(m.Topic, "/"+m.ObserverID+"/") {
			t.Fatalf("status topic %q", m.Topic)
		}
		var f statusFields
		if err := json.Unmarshal(m.Payload, &f); err != nil {
			t.Fatalf("status payload: %v", err)
		}
		st := f.Stats
		if f.Status != "online" || f.Model == "" || f.FirmwareVersion == "" || f.ClientVersion == "" || f.Radio == "" ||
			st.BatteryMV == nil || st.UptimeSecs == nil || st.NoiseFloor == nil || st.TxAirSecs == nil ||
			st.RxAirSecs == nil || st.RecvErrors == nil || st.PacketsRecv == nil {
			t.Fatalf("incomplete status %s", m.Payload)
		}
		if *st.BatteryMV < 3300 || *st.BatteryMV > 4300 || *st.NoiseFloor > -90 || *st.NoiseFloor < -125 {
			t.Fatalf("implausible status %s", m.Payload)
		}
		if ts, err := time.Parse("2006-01-02T15:04:05.999999Z", f.Timestamp); err != nil || !ts.Equal(m.Time.Truncate(time.Microsecond)) {
			t.Fatalf("status timestamp %q (%v), message time %s", f.Timestamp, err, m.Time)
		}
		if prev, ok := last[m.ObserverID]; ok {
			gap := m.Time.Sub(lastAt[m.ObserverID])
			if gap < 4*time.Minute || gap > 6*time.Minute {
				t.Errorf("status gap %s, want about 5m", gap)
			}
			if *st.UptimeSecs <= *prev.Stats.UptimeSecs || *st.PacketsRecv < *prev.Stats.PacketsRecv {
				t.Errorf("counters went backwards: %s after %+v", m.Payload, prev.Stats)
			}
		}
		last[m.ObserverID] = f
		lastAt[m.ObserverID] = m.Time
	}
	// 2 hours at one per 5 minutes: about 24 per observer.
	if want := 5 * 20; count < want {
		t.Errorf("%d status messages, want at least %d", count, want)
	}
}

func TestNaiveTimestampsHaveNoZone(t *testing.T) {
	s := New(Options{Seed: 1, Nodes: 30, Observers: 2, End: testEnd, Duration: time.Hour, NaiveTimestamps: true})
	for _, m := range s.Generate(20) {
		var f packetFields
		_ = json.Unmarshal(m.Payload, &f)
		if f.Timestamp == "" || strings.HasSuffix(f.Timestamp, "Z") {
			t.Fatalf("timestamp %q, want zone-less", f.Timestamp)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.999999", f.Timestamp); err != nil {
			t.Fatalf("timestamp %q: %v", f.Timestamp, err)
		}
	}
}

func TestOptionsValidateRejectsNonsense(t *testing.T) {
	cases := []struct {
		name string
		o    Options
	}{
		{"one node", Options{Nodes: 1}},
		{"too many nodes", Options{Nodes: 100000}},
		{"more observers than nodes", Options{Nodes: 5, Observers: 6}},
		{"negative observers", Options{Observers: -1}},
		{"negative duration", Options{Duration: -time.Hour}},
		{"bad region", Options{Regions: []Region{{IATA: "X", Lat: 95, Lon: 0, RadiusKm: 1, Share: 1}}}},
		{"region without share", Options{Regions: []Region{{IATA: "X", Lat: 1, Lon: 0, RadiusKm: 1}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.o.Validate(); err == nil {
				t.Errorf("Validate(%+v) = nil, want an error", c.o)
			}
		})
	}
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
}

func TestSingleRegionWithOwnPlacesWorks(t *testing.T) {
	s := New(Options{Seed: 2, Nodes: 50, Observers: 3, End: testEnd, Duration: time.Hour,
		Regions: []Region{{IATA: "SJC", Lat: 37.33, Lon: -121.89, RadiusKm: 20, Share: 1}}})
	msgs := s.Generate(200)
	n := 0
	for _, m := range msgs {
		if m.Kind == KindPacket {
			n++
			if m.IATA != "SJC" {
				t.Fatalf("IATA %q", m.IATA)
			}
		}
	}
	if n < 200 {
		t.Fatalf("%d observations for 200 transmissions", n)
	}
	if math.IsNaN(s.Nodes()[0].Lat) {
		t.Fatal("NaN latitude")
	}
}

func TestSummarizeCountsWhatAnIngestorShouldStore(t *testing.T) {
	msgs := smallSim(21).Generate(600)
	sum := Summarize(msgs)
	hashes := map[string]bool{}
	obs, status, newTx := 0, 0, 0
	for _, m := range msgs {
		switch m.Kind {
		case KindStatus:
			status++
		case KindPacket:
			obs++
			hashes[m.Hash] = true
			if m.IsNewTx {
				newTx++
			}
		}
	}
	if sum.Transmissions != len(hashes) || sum.Transmissions != newTx || sum.Observations != obs || sum.StatusMessages != status {
		t.Fatalf("summary %+v; counted %d hashes, %d new, %d observations, %d status", sum, len(hashes), newTx, obs, status)
	}
	total := 0
	for _, n := range sum.ByPayloadType {
		total += n
	}
	if total != sum.Transmissions || len(sum.AdvertisedNodes) == 0 || sum.ChannelMessages["Public"] == 0 {
		t.Fatalf("summary breakdown %+v", sum)
	}
	for k := range sum.AdvertisedNodes {
		if len(k) != 64 {
			t.Fatalf("advertised node key %q", k)
		}
	}
}

func TestShortRunsStillHearAdvertsFromMostNodes(t *testing.T) {
	s := New(Options{Seed: 7, Nodes: 60, Observers: 4, End: testEnd, Duration: time.Hour})
	sum := Summarize(s.Generate(600))
	// About 17 % of 600 transmissions are adverts, taken in turns: every
	// node gets one before any node gets a second.
	if got := len(sum.AdvertisedNodes); got < 50 {
		t.Fatalf("%d of 60 nodes advertised in 600 transmissions, want nearly all", got)
	}
}

func TestRegionCodeMatchesARealScopedPacket(t *testing.T) {
	// Vector "TRANSPORT_FLOOD GRP_TXT with region code (#ottawa)" from
	// ../shared/testdata/packets.json: transport code 1 is FA 1A on the wire.
	const raw = "14FA1A0000034E927D596EA23622BCB4D5945E49348165AF7DABA3F5DCEED85F430E0856DB5B591E86AB3363BC00E1BA30776698F72FC57C7168E66A4875CDB710F3C175FC2B3FE75A036EF14FA59A709062D3A9FF7014F2E7A8512C"
	p, err := meshcore.DecodeHex(raw, meshcore.Options{})
	if err != nil {
		t.Fatalf("decode vector: %v", err)
	}
	got := regionCode(hashtagKey("#ottawa"), byte(p.Header.PayloadType), p.PayloadBytes)
	if got != 0x1AFA || p.TransportCodes == nil || p.TransportCodes.Code1 != got {
		t.Fatalf("regionCode = %04x, packet code1 %+v, want 1afa", got, p.TransportCodes)
	}
}
