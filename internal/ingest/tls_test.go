package ingest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"net"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/corescope/corescope/internal/config"
)

// startTLSBroker runs a real MQTT broker (mochi) with a self-signed
// certificate on a free loopback port and returns its mqtts:// URL.
func startTLSBroker(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "corescope-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	srv := mochi.New(&mochi.Options{Logger: slog.New(slog.DiscardHandler)})
	if err := srv.AddHook(new(allowAll), nil); err != nil {
		t.Fatal(err)
	}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "tls", Address: addr, TLSConfig: tlsCfg})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return "mqtts://" + addr
}

// TestTLSSourceHonoursRejectUnauthorized: mqtts:// connects over TLS; a
// self-signed certificate is refused by default and accepted with
// rejectUnauthorized:false.
func TestTLSSourceHonoursRejectUnauthorized(t *testing.T) {
	url := startTLSBroker(t)
	set := defaultSourceSettings()
	set.connectTimeout = 3 * time.Second
	noop := func(*source, mqtt.Message) {}
	log := slog.New(slog.DiscardHandler)

	no := false
	insecure := newSource(config.MQTTSource{Name: "tls", Broker: url, Topics: []string{"meshcore/#"}, RejectUnauthorized: &no}, "tls-insecure", set, log, noop)
	insecure.start()
	defer insecure.stop(0)
	strict := newSource(config.MQTTSource{Name: "strict", Broker: url, Topics: []string{"meshcore/#"}}, "tls-strict", set, log, noop)
	strict.start()
	defer strict.stop(0)

	deadline := time.Now().Add(20 * time.Second)
	for !insecure.connected.Load() {
		if time.Now().After(deadline) {
			t.Fatal("rejectUnauthorized:false source did not connect over TLS")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The strict client has had as long as the insecure one and more.
	time.Sleep(500 * time.Millisecond)
	if strict.connected.Load() {
		t.Error("source with certificate verification accepted a self-signed certificate")
	}
	if strict.attempts.Load() == 0 {
		t.Error("strict source made no connection attempt")
	}
}
