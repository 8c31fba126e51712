package meshsim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// publishWindow bounds QoS 1 publishes awaiting PUBACK: enough to keep the
// pipe full, small enough that a dead broker stops us quickly.
const publishWindow = 512

// Publisher publishes Messages to one broker at QoS 1.
type Publisher struct {
	client  mqtt.Client
	pending []mqtt.Token
	pace    pacer
	sent    int
}

// Dial connects to brokerURL (tcp://, mqtt://, ssl://, mqtts://, ws://,
// wss://). rate > 0 limits Publish to that many messages per second; 0 means
// as fast as the broker acknowledges.
func Dial(ctx context.Context, brokerURL string, rate float64) (*Publisher, error) {
	var id [6]byte
	_, _ = rand.Read(id[:])
	opts := mqtt.NewClientOptions().
		AddBroker(normalizeBroker(brokerURL)).
		SetClientID("meshsim-" + hex.EncodeToString(id[:])).
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second)
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	if err := wait(ctx, tok); err != nil {
		// ctx may end while the connect is still in flight: stop the client
		// so it does not connect (and keep its goroutines) after we return.
		c.Disconnect(0)
		return nil, fmt.Errorf("connect to %s: %w", brokerURL, err)
	}
	return &Publisher{client: c, pace: pacer{rate: rate}}, nil
}

// normalizeBroker maps the mqtt:// and mqtts:// schemes operators write in
// CoreScope configs to paho's tcp:// and ssl://.
func normalizeBroker(u string) string {
	switch {
	case strings.HasPrefix(u, "mqtt://"):
		return "tcp://" + strings.TrimPrefix(u, "mqtt://")
	case strings.HasPrefix(u, "mqtts://"):
		return "ssl://" + strings.TrimPrefix(u, "mqtts://")
	case !strings.Contains(u, "://"):
		return "tcp://" + u
	}
	return u
}

func wait(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Publish sends m at QoS 1 (not retained). It returns once the message is
// handed to the client; Flush waits for the broker's acknowledgements.
func (p *Publisher) Publish(ctx context.Context, m Message) error {
	if err := p.pace.wait(ctx); err != nil {
		return err
	}
	if len(p.pending) >= publishWindow {
		if err := wait(ctx, p.pending[0]); err != nil {
			return fmt.Errorf("publish %s: %w", p.pendingTopicHint(), err)
		}
		p.pending = p.pending[1:]
	}
	p.pending = append(p.pending, p.client.Publish(m.Topic, 1, false, m.Payload))
	p.sent++
	return nil
}

func (p *Publisher) pendingTopicHint() string {
	return fmt.Sprintf("message %d", p.sent-len(p.pending)+1)
}

// Sent returns how many messages Publish accepted.
func (p *Publisher) Sent() int { return p.sent }

// Flush waits until the broker acknowledged every published message.
func (p *Publisher) Flush(ctx context.Context) error {
	for len(p.pending) > 0 {
		if err := wait(ctx, p.pending[0]); err != nil {
			return fmt.Errorf("publish %s: %w", p.pendingTopicHint(), err)
		}
		p.pending = p.pending[1:]
	}
	return nil
}

// Close flushes (bounded by ctx) and disconnects.
func (p *Publisher) Close(ctx context.Context) error {
	err := p.Flush(ctx)
	p.client.Disconnect(250)
	return err
}

// Publish sends msgs to brokerURL at QoS 1, in order, at most rate messages
// per second (0 = as fast as possible), and returns after the broker has
// acknowledged all of them.
func Publish(ctx context.Context, brokerURL string, msgs []Message, rate float64) error {
	p, err := Dial(ctx, brokerURL, rate)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := p.Publish(ctx, m); err != nil {
			_ = p.Close(ctx)
			return err
		}
	}
	return p.Close(ctx)
}

// pacer spaces events rate per second from the first one, without drift.
type pacer struct {
	rate  float64
	start time.Time
	n     int
}

func (pc *pacer) wait(ctx context.Context) error {
	if pc.rate <= 0 {
		return nil
	}
	if pc.n == 0 {
		pc.start = time.Now()
	}
	due := pc.start.Add(time.Duration(float64(pc.n) / pc.rate * float64(time.Second)))
	pc.n++
	d := time.Until(due)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
