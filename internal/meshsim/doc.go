// Package meshsim is a deterministic synthetic MeshCore mesh: it places nodes
// with Ed25519 identities around one or more regions, wires them into a radio
// topology, and produces the MQTT messages that meshcoretomqtt observers would
// publish for the traffic of that mesh (INGEST.md §2). Every packet is a real
// wire-format packet (PROTOCOL.md): adverts are signed, channel messages carry
// a valid MAC and AES-128-ECB ciphertext, floods grow one repeater hash per
// hop. It exists for demos, for tests that need a realistic database, and for
// the reference benchmark workload.
//
// Library use (tests):
//
//	sim := meshsim.New(meshsim.Options{Seed: 1, Nodes: 40, Observers: 4,
//		End: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Duration: time.Hour})
//	msgs := sim.Generate(500)        // 500 transmissions, all observations, time order
//	nodes, observers := sim.Nodes(), sim.Observers()
//	err := meshsim.Publish(ctx, broker.URL, msgs, 0) // QoS 1, as fast as possible
//
// Each Message carries the MQTT topic and JSON payload plus metadata tests use
// to compute expectations (content hash, observer, payload type, whether it is
// the first observation of its hash, decoded hops, channel plaintext, ...).
//
// Determinism: the same Options (including End) give byte-identical output.
// Only adverts are signed (Ed25519 signing is the expensive part); direct
// messages, requests and responses carry random ciphertext because a passive
// analyzer cannot decrypt them anyway.
//
// Model, in short: nodes are scattered uniformly in a disc per region; nodes
// within radio range are linked, and every node is linked to its nearest
// repeater so nobody is isolated. A flood is a breadth-first spread over the
// repeaters from the source; every copy a repeater retransmits carries the
// path so far. An observer (itself a repeater with an IATA code) hears copies
// sent by its radio neighbours with a probability that falls with the hop
// count, so one transmission gives several observations with different path
// lengths. Direct packets follow a shortest repeater route; each repeater
// removes itself from the front of the path. A Sim is not safe for
// concurrent use.
package meshsim
