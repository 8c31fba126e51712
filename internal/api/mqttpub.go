package api

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/corescope/corescope/internal/config"
)

// MQTTPublisher publishes manual packets to the ingestor's broker. It
// connects in the background and keeps reconnecting, so a server started
// before the broker still works once the broker is up.
type MQTTPublisher struct {
	client mqtt.Client
	broker string
}

// PublishBroker picks the broker POST /api/packets publishes to: the
// ingestor's embedded broker when configured, else its first MQTT source.
func PublishBroker(cfg *config.Config) config.MQTTSource {
	return cfg.MQTTSources()[0]
}

// NewMQTTPublisher starts connecting to src (credentials included; they are
// never logged).
func NewMQTTPublisher(src config.MQTTSource, log *slog.Logger) *MQTTPublisher {
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	opts := mqtt.NewClientOptions().
		AddBroker(src.Broker).
		SetClientID("corescope-server-" + hex.EncodeToString(id)).
		SetUsername(src.Username).
		SetPassword(src.Password).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(2 * time.Second).
		SetConnectTimeout(5 * time.Second).
		SetCleanSession(true).
		SetOnConnectHandler(func(mqtt.Client) {
			log.Info("manual-packet publisher connected", "broker", src.Broker)
		}).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			log.Warn("manual-packet publisher lost connection", "broker", src.Broker, "err", err)
		})
	if !src.VerifyTLS() {
		// rejectUnauthorized: false, as for the ingestor's own connection.
		opts.SetTLSConfig(&tls.Config{InsecureSkipVerify: true}) //nolint:gosec // operator's explicit choice
	}
	c := mqtt.NewClient(opts)
	c.Connect() // with ConnectRetry this never fails; it keeps trying in the background
	return &MQTTPublisher{client: c, broker: src.Broker}
}

// Publish sends payload with QoS 1 and waits for the broker's ack or ctx.
func (p *MQTTPublisher) Publish(ctx context.Context, topic string, payload []byte) error {
	if !p.client.IsConnectionOpen() {
		return fmt.Errorf("publish to %s: not connected", p.broker)
	}
	tok := p.client.Publish(topic, 1, false, payload)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("publish to %s: %w", p.broker, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("publish to %s: %w", p.broker, errors.Join(ctx.Err(), errors.New("no ack from broker")))
	}
}

// Close disconnects (waiting up to 250 ms for in-flight messages).
func (p *MQTTPublisher) Close() { p.client.Disconnect(250) }
