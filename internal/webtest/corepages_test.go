package webtest

import (
	"context"
	"fmt"

	"github.com/corescope/corescope/internal/meshsim"
)

// Publish kinds for browser/corepages.spec.mjs (the core pages' defects). A spec first asks for
// "cp-prepare": live traffic of the workload's mesh is generated (not published) until a fresh
// ADVERT from a known node heard by at least two observers comes up; its messages are held.
// "cp-first" then publishes that advert's first observation only (the packet is "still being
// heard"), "cp-rest" the remaining ones back to back, "cp-all" all of them at once (they land
// in one ingest batch / one store tick, as on a busy mesh). The other traffic generated while
// looking is never published: a burst of it would disturb the specs that run afterwards.

// cpHeld is the prepared advert; only touched by publishers, which servePublish serialises.
var cpHeld struct {
	hash, from string
	obs        []meshsim.Message // the advert's observations
}

func init() {
	publishKinds["cp-prepare"] = cpPrepare
	publishKinds["cp-first"] = func(ctx context.Context, p *meshsim.Publisher, _ *stack) (any, error) {
		return cpPublish(ctx, p, cpHeld.obs[:1])
	}
	publishKinds["cp-rest"] = func(ctx context.Context, p *meshsim.Publisher, _ *stack) (any, error) {
		return cpPublish(ctx, p, cpHeld.obs[1:])
	}
	publishKinds["cp-all"] = func(ctx context.Context, p *meshsim.Publisher, _ *stack) (any, error) {
		return cpPublish(ctx, p, cpHeld.obs)
	}
}

func cpPrepare(ctx context.Context, _ *meshsim.Publisher, st *stack) (any, error) {
	cpHeld.hash, cpHeld.from, cpHeld.obs = "", "", nil
	byHash := map[string][]meshsim.Message{}
	var order []string
	// Live emits each observation at its real time, so generate a few dozen transmissions per
	// call (their observations overlap in time) rather than one at a time.
	for tries := 0; tries < 6 && cpHeld.hash == ""; tries++ {
		st.liveTx += 40
		err := st.sim.Live(ctx, 1000, 40, func(m meshsim.Message) error {
			if m.Kind != meshsim.KindPacket {
				return nil
			}
			if byHash[m.Hash] == nil {
				order = append(order, m.Hash)
			}
			byHash[m.Hash] = append(byHash[m.Hash], m)
			return nil
		})
		if err != nil {
			return nil, err
		}
		// The advert heard the most times (at least twice, by at least two observers).
		for _, h := range order {
			ms := byHash[h]
			if !st.known[h] && ms[0].PayloadType == 4 && ms[0].From != "" && ms[0].From != st.xssKey &&
				distinctObservers(ms) >= 2 && len(ms) > len(cpHeld.obs) && nodeListed(st, ms[0].From) {
				cpHeld.hash, cpHeld.from, cpHeld.obs = h, ms[0].From, ms
			}
		}
	}
	for _, h := range order {
		st.known[h] = true
	}
	if cpHeld.hash == "" {
		return nil, fmt.Errorf("no fresh advert heard by 2 observers in %d live transmissions", len(order))
	}
	return map[string]any{"hash": cpHeld.hash, "from": cpHeld.from, "observations": len(cpHeld.obs)}, nil
}

// nodeListed reports whether the server already lists node pk (the nodes page has its row).
func nodeListed(st *stack, pk string) bool {
	code, err := getJSON(st.base+"/api/nodes/"+pk, nil)
	return err == nil && code == 200
}

func distinctObservers(ms []meshsim.Message) int {
	seen := map[string]bool{}
	for _, m := range ms {
		seen[m.ObserverID] = true
	}
	return len(seen)
}

func cpPublish(ctx context.Context, p *meshsim.Publisher, ms []meshsim.Message) (any, error) {
	if cpHeld.hash == "" {
		return nil, fmt.Errorf("nothing prepared: publish cp-prepare first")
	}
	txs := map[string]bool{}
	for _, m := range ms {
		if err := p.Publish(ctx, m); err != nil {
			return nil, fmt.Errorf("publish held message: %w", err)
		}
		if m.Kind == meshsim.KindPacket {
			txs[m.Hash] = true
		}
	}
	return map[string]any{"hash": cpHeld.hash, "published": len(ms), "transmissions": len(txs)}, nil
}
