package webtest

import (
	"context"
	"fmt"

	"github.com/corescope/corescope/internal/meshsim"
)

// Publishers for browser/tools.spec.mjs: the trace viewer must add observers of the packet it
// shows as they arrive. "tools-first" publishes live traffic but holds back all observations
// but the first of one fresh transmission heard by ≥ 2 observers, and answers {hash, held};
// "tools-rest" publishes the held-back observations and answers {hash, published}.
func init() {
	publishKinds["tools-first"] = publishToolsFirst
	publishKinds["tools-rest"] = publishToolsRest
}

var toolsHeld struct {
	hash string
	msgs []meshsim.Message
}

func publishToolsFirst(ctx context.Context, p *meshsim.Publisher, st *stack) (any, error) {
	for tries := 0; tries < 5; tries++ {
		var msgs []meshsim.Message
		if err := st.sim.Live(ctx, 100, 3, func(m meshsim.Message) error {
			msgs = append(msgs, m)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("generate live traffic: %w", err)
		}
		// The fresh hash with the most observations from distinct observers.
		obs := map[string]map[string]bool{}
		for _, m := range msgs {
			if m.Kind == meshsim.KindPacket && !st.known[m.Hash] {
				if obs[m.Hash] == nil {
					obs[m.Hash] = map[string]bool{}
				}
				obs[m.Hash][m.ObserverID] = true
			}
		}
		pick := ""
		for h, o := range obs {
			if len(o) >= 2 && (pick == "" || len(o) > len(obs[pick])) {
				pick = h
			}
		}
		var held []meshsim.Message
		first := true
		for _, m := range msgs {
			if m.Kind == meshsim.KindPacket {
				st.known[m.Hash] = true
			}
			if m.Kind == meshsim.KindPacket && m.Hash == pick && pick != "" {
				if !first {
					held = append(held, m)
					continue
				}
				first = false
			}
			if err := p.Publish(ctx, m); err != nil {
				return nil, fmt.Errorf("publish: %w", err)
			}
		}
		if pick != "" {
			toolsHeld.hash, toolsHeld.msgs = pick, held
			return map[string]any{"hash": pick, "held": len(held)}, nil
		}
	}
	return nil, fmt.Errorf("no fresh transmission heard by two observers after 5 tries")
}

func publishToolsRest(ctx context.Context, p *meshsim.Publisher, _ *stack) (any, error) {
	n := 0
	for _, m := range toolsHeld.msgs {
		if err := p.Publish(ctx, m); err != nil {
			return nil, fmt.Errorf("publish held observation: %w", err)
		}
		n++
	}
	hash := toolsHeld.hash
	toolsHeld.hash, toolsHeld.msgs = "", nil
	return map[string]any{"hash": hash, "published": n}, nil
}
