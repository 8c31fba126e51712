package meshsim

// Summary is what a correct ingestor should store for a list of messages
// (INGEST.md §5): one transmission per distinct hash, one observation per
// packet message, and a node row for every node whose advert was heard.
type Summary struct {
	Transmissions   int            // distinct content hashes
	Observations    int            // packet messages
	StatusMessages  int            // status messages
	ByPayloadType   map[int]int    // transmissions per payload type
	PerObserver     map[string]int // observations per observer ID
	AdvertisedNodes map[string]bool
	// ChannelMessages counts decryptable GRP_TXT transmissions per channel
	// name ("Public", "#test", ...).
	ChannelMessages map[string]int
}

// Summarize computes the Summary of msgs (in any order).
func Summarize(msgs []Message) Summary {
	s := Summary{
		ByPayloadType:   map[int]int{},
		PerObserver:     map[string]int{},
		AdvertisedNodes: map[string]bool{},
		ChannelMessages: map[string]int{},
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.Kind == KindStatus {
			s.StatusMessages++
			continue
		}
		s.Observations++
		s.PerObserver[m.ObserverID]++
		if m.PayloadType == typeAdvert && m.From != "" {
			s.AdvertisedNodes[m.From] = true
		}
		if seen[m.Hash] {
			continue
		}
		seen[m.Hash] = true
		s.Transmissions++
		s.ByPayloadType[m.PayloadType]++
		if m.PayloadType == typeGrpTxt && m.Channel != "" {
			s.ChannelMessages[m.Channel]++
		}
	}
	return s
}
