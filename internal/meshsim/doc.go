// Package meshsim is a deterministic synthetic MeshCore mesh: it places nodes
// with Ed25519 identities around one or more regions, wires them into a radio
// topology, and produces the MQTT messages that meshcoretomqtt observers
// publish for that mesh's traffic (INGEST.md §2). Every packet is a real
// wire-format packet (PROTOCOL.md): adverts are signed, channel messages carry
// a valid MAC and AES-128-ECB ciphertext (sealed with internal/channel), floods
// grow one repeater hash per hop. It exists for demos, for tests that need a
// realistic database, and for the reference benchmark workload.
//
// Library use (tests):
//
//	sim := meshsim.New(meshsim.Options{Seed: 1, Nodes: 40, Observers: 4,
//		End: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Duration: time.Hour})
//	msgs := sim.Generate(500)        // 500 transmissions: every observation + status, in time order
//	nodes, observers := sim.Nodes(), sim.Observers()
//	want := meshsim.Summarize(msgs)  // distinct hashes, observations, advertised nodes, ...
//	err := meshsim.Publish(ctx, broker.URL, msgs, 0) // QoS 1, as fast as the broker acks
//
// The API:
//
//   - New(Options) *Sim; Options.Validate for user input; ReferenceOptions and
//     ReferenceTransmissions give the benchmark workload (DESIGN.md §4: 56,000
//     transmissions, 400 nodes, 10 observers, over 24 hours — 24 h rather
//     than 7 d so the default "last 24 hours" views show all of it).
//   - (*Sim).Generate(n) / Each(n, fn): n transmissions over [End-Duration,
//     End], busier in the (US west coast) afternoon. Each streams without
//     holding the messages. (*Sim).Live(ctx, rate, maxTx, fn) makes traffic in
//     real time instead.
//   - (*Sim).Nodes(), Observers(), Channels(): what ends up in a database.
//   - Message: Topic and Payload (the wire), plus metadata: Time, Kind,
//     ObserverID, IATA, Seq (transmission number), Hash (CoreScope's content
//     hash), IsNewTx (first message with that hash), Raw, RouteType,
//     PayloadType, HashSize, Hops (path_json hops), SNR, RSSI, From, To,
//     Channel and Text (GRP_TXT plaintext), Scope (the "#sea"-style region
//     of a TRANSPORT_FLOOD; configure it in hashRegions to see it matched).
//   - Summarize(msgs): the row counts a correct ingestor produces.
//   - WriteNDJSON / ReadNDJSON: the `meshsim generate` file format, one
//     {"time": "...", "topic": "...", "payload": {...}} object per line
//     (what `corescope-ingestor import` reads).
//   - Publish(ctx, brokerURL, msgs, rate), or Dial + (*Publisher).Publish for
//     streams.
//
// Determinism: the same Options (including End) give byte-identical output
// on a given platform (floating-point maths may round differently on another
// CPU architecture). A zero End means "now truncated to the hour".
//
// Time: each message's envelope `timestamp` is its simulated receive time
// (RFC 3339 with Z; Options.NaiveTimestamps drops the Z as the bridge does).
// CoreScope's ingestor stores its own clock, not this value (INGEST.md
// §5.2), so a history published through MQTT lands at "now"; a test that
// needs the simulated times must take them from Message.Time.
//
// Model: nodes are scattered uniformly in a disc per region; nodes within
// Options.RangeKm are linked, and every node is linked to its nearest repeater
// (repeaters to their two nearest) so nobody is isolated. A flood spreads
// breadth-first over the repeaters from the source, up to 8 hops; each copy a
// repeater sends carries the path so far (equally short predecessors are
// chosen at random, so paths vary). An observer, itself a repeater with an
// IATA code, hears copies sent by its radio neighbours with a probability that
// falls with the hop count, reporting at most two copies per packet, so one
// transmission gives about four observations with different path lengths.
// Direct packets follow a shortest repeater route, each repeater removing
// itself from the front of the path; TRACEs collect one SNR byte per hop.
// A transmission no observer could hear is replaced, since it would never
// reach a database. Only adverts are signed (Ed25519 signing is the costly
// part); direct messages, requests and responses carry random ciphertext
// because no passive analyzer can decrypt them anyway. A Sim is not safe for
// concurrent use.
package meshsim
