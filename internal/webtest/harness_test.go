package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/meshsim"
	"github.com/corescope/corescope/internal/mqtttest"
)

// xssName is advertised by one simulated node; every page must show it as text.
const xssName = `<img src=x onerror=alert(1)>`

// workloadTx is the number of transmissions published before the browser starts.
const workloadTx = 300

// repoRoot is two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// goBuild builds ./cmd/<name> into dir and returns the binary path.
func goBuild(t *testing.T, root, dir, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, "./cmd/"+name)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, b)
	}
	return out
}

// startProc starts a binary with its output in a log file that is printed if the test fails.
func startProc(t *testing.T, dir, name string, args ...string) *exec.Cmd {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			t.Logf("---- %s log (tail) ----\n%s", name, b)
		}
	})
	return cmd
}

// getJSON fetches url into v.
func getJSON(url string, v any) (int, error) {
	c := http.Client{Timeout: 10 * time.Second}
	res, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if v != nil && res.StatusCode == 200 {
		if err := json.Unmarshal(b, v); err != nil {
			return res.StatusCode, fmt.Errorf("decode %s: %w (%.200s)", url, err, b)
		}
	}
	return res.StatusCode, nil
}

// poll calls fn every 250 ms until it returns true or the deadline passes.
func poll(t *testing.T, what string, d time.Duration, fn func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := fn()
		if ok {
			return
		}
		last = state
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s (last state: %s)", d, what, last)
}

// Hostile strings carried through the real ingest path (signed adverts, encrypted channel
// messages, observer status messages). Each would inject an element or run script if any page
// put it into HTML; xss.spec.mjs looks for exactly these elements and for dialogs. Node names fit
// the advert's 32 bytes.
const (
	hostileChatter  = `<svg data-x onload=alert(2)>`                    // a node that chats
	hostileChatText = `<img src=x onerror=alert(3)><b data-x>bold</b>`  // its channel text
	hostileObserver = `<b data-x>obs</b><img src=x onerror=alert(4)>`   // an observer's origin
	hostileDevice   = `<img src=x onerror=alert(5)><i data-x>model</i>` // its model/firmware
)

// hostile holds who carries which hostile string in the workload.
type hostile struct {
	advertiser, chatter, observer string // node pubkeys / observer id
}

// apply renames the chosen node(s) and observer of sim and makes the chatter's texts hostile.
func (h hostile) apply(sim *meshsim.Sim) {
	for _, n := range sim.Nodes() {
		switch n.PubKey {
		case h.advertiser:
			n.Name = xssName
		case h.chatter:
			n.Name = hostileChatter
		}
	}
	for _, o := range sim.Observers() {
		if o.ID == h.observer {
			o.Name, o.Model, o.Firmware, o.ClientVersion, o.Radio = hostileObserver, hostileDevice, hostileDevice, hostileDevice, hostileDevice
		}
	}
}

// buildWorkload returns the simulated messages with hostile strings in node names (one
// advertiser renamed to xssName, one channel chatter), chat texts and one observer's fields;
// the advertiser's public key; the distinct transmissions; and the Sim to continue live traffic
// from.
func buildWorkload(t *testing.T) ([]meshsim.Message, string, map[string]bool, *meshsim.Sim) {
	t.Helper()
	var h hostile
	opts := meshsim.Options{Seed: 42, Nodes: 60, Observers: 4, End: time.Now().UTC(), Duration: 10 * time.Minute,
		ChatText: func(n *meshsim.Node, _, text string) string {
			if n.PubKey == h.chatter {
				return hostileChatText
			}
			return text
		}}
	// First pass finds an advertiser and a channel chatter; the second pass (same seed) renames
	// them before generating, so their adverts and messages carry the hostile strings.
	probeSim := meshsim.New(opts)
	located := map[string]bool{} // the maps must show the hostile nodes
	for _, n := range probeSim.Nodes() {
		located[n.PubKey] = n.HasLocation
	}
	probe := probeSim.Generate(workloadTx)
	for _, m := range probe {
		if m.Kind != meshsim.KindPacket || m.From == "" {
			continue
		}
		if m.PayloadType == 4 && h.advertiser == "" && located[m.From] {
			h.advertiser = m.From
		}
		if m.PayloadType == 5 && m.Channel != "" && h.chatter == "" && m.From != h.advertiser {
			h.chatter = m.From
		}
		if h.observer == "" {
			h.observer = m.ObserverID
		}
	}
	if h.advertiser == "" || h.chatter == "" {
		t.Fatalf("meshsim workload lacks an advert or channel message to carry hostile strings: %+v", h)
	}
	sim := meshsim.New(opts)
	h.apply(sim)
	msgs := sim.Generate(workloadTx)
	hashes := map[string]bool{}
	advertised, chatted := false, false
	for _, m := range msgs {
		if m.Kind != meshsim.KindPacket {
			continue
		}
		hashes[m.Hash] = true
		advertised = advertised || (m.PayloadType == 4 && m.From == h.advertiser)
		chatted = chatted || (m.PayloadType == 5 && m.From == h.chatter && strings.Contains(m.Text, hostileChatText))
	}
	if !advertised || !chatted {
		t.Fatalf("hostile node sends no advert (%v) or hostile chat (%v) in the second pass", advertised, chatted)
	}
	// Live traffic comes from a second Sim of the same mesh (same seed, same keys) whose
	// transmission counter starts at zero, so Live(maxTx=k) makes exactly one more packet.
	live := meshsim.New(opts)
	h.apply(live)
	return msgs, h.advertiser, hashes, live
}

// publishKinds are the Go-side publishers a spec can ask for with POST PUBLISH_URL?kind=K. An
// area's test file registers its own in an init function (no shared edits needed):
//
//	func init() { publishKinds["hostile"] = publishHostile }
//
// A publisher gets a connected meshsim publisher (flushed and closed after it returns) and the
// stack (its live Sim, st.seq = a number unique to this call); its result is the JSON answer.
var publishKinds = map[string]func(ctx context.Context, p *meshsim.Publisher, st *stack) (any, error){
	"odd": publishOdd,
}

// stack is the one system under test the browser specs share: Mosquitto, the real ingestor and
// server binaries, a database filled with the meshsim workload, and the publish endpoint.
type stack struct {
	root, browserDir, shots, nodeBin string
	base                             string // server URL
	pubURL                           string // publish endpoint (POST)
	brokerURL                        string
	xssKey                           string
	distinct                         int

	mu     sync.Mutex      // serialises publishes
	sim    *meshsim.Sim    // live traffic of the same mesh
	known  map[string]bool // hashes already published
	liveTx int
	seq    int // per-kind sequence numbers for publishers that need fresh packets
}

// TestBrowser starts the stack once and runs every browser/*.spec.mjs against it as a subtest
// (in name order): `go test ./internal/webtest -run 'TestBrowser/core'` runs one spec. To add
// checks for an area, add browser/<area>.spec.mjs (import from lib.mjs, end with finish()).
func TestBrowser(t *testing.T) {
	st := startStack(t)
	specs, err := filepath.Glob(filepath.Join(st.browserDir, "*.spec.mjs"))
	if err != nil || len(specs) == 0 {
		t.Fatalf("no browser specs in %s (%v)", st.browserDir, err)
	}
	for _, spec := range specs {
		file := filepath.Base(spec)
		t.Run(strings.TrimSuffix(file, ".spec.mjs"), func(t *testing.T) { st.runSpec(t, file) })
	}
}

// runSpec runs one spec file with node and fails the subtest unless it reports ALL PASSED.
func (st *stack) runSpec(t *testing.T, file string) {
	rctx, rcancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer rcancel()
	cmd := exec.CommandContext(rctx, st.nodeBin, file)
	cmd.Dir = st.browserDir
	cmd.Env = append(os.Environ(),
		"BASE_URL="+st.base, "PUBLISH_URL="+st.pubURL, "SCREENSHOT_DIR="+st.shots,
		"XSS_NAME="+xssName, "XSS_KEY="+st.xssKey, "EXPECTED_PACKETS="+strconv.Itoa(st.distinct))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("%s output:\n%s", file, out.String())
	if err != nil {
		t.Fatalf("%s failed: %v (see output above; screenshots in %s)", file, err, st.shots)
	}
	if !strings.Contains(out.String(), "ALL PASSED") {
		t.Fatalf("%s did not report ALL PASSED", file)
	}
}

// startStack builds the binaries, fills the database through a real broker and ingestor, starts
// the server and the publish endpoint. Everything stops when t (the parent test) ends.
func startStack(t *testing.T) *stack {
	root := repoRoot(t)
	st := &stack{root: root, browserDir: filepath.Join(root, "internal", "webtest", "browser")}
	if _, err := os.Stat(filepath.Join(st.browserDir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed: run ./manage.sh test (it runs `npm ci` in %s) or `npm ci` there yourself", st.browserDir)
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node (Node.js 20+) is required for the browser tests")
	}
	st.nodeBin = nodeBin
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Fatal("/usr/bin/chromium is required for the browser tests (apt-get install chromium)")
	}

	tmp := t.TempDir()
	ingestor := goBuild(t, root, tmp, "ingestor")
	server := goBuild(t, root, tmp, "server")
	broker := mqtttest.Start(t)
	st.brokerURL = broker.URL

	dbPath := filepath.Join(tmp, "corescope.db")
	cfg := map[string]any{
		"dbPath":      dbPath,
		"mqttSources": []map[string]any{{"name": "webtest", "broker": broker.URL, "topics": []string{"meshcore/#"}}},
		// The workload is published at wire speed, far above a radio's rate.
		"observerRateLimit": map[string]any{"packetsPerSec": -1},
	}
	cfgDir := filepath.Join(tmp, "config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgBytes, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(cfgDir, "config.json")
	if err := os.WriteFile(cfgPath, cfgBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	startProc(t, tmp, "ingestor", ingestor, "-config", cfgPath)
	// The ingestor's 1 Hz stats file says when its MQTT source is connected; the subscribe
	// itself is asynchronous, so allow it a moment more before the burst.
	statsPath := filepath.Join(tmp, "ingestor-stats.json")
	poll(t, "the ingestor to connect to the broker", 30*time.Second, func() (bool, string) {
		b, err := os.ReadFile(statsPath)
		if err != nil {
			return false, err.Error()
		}
		var s struct {
			Sources []struct {
				Connected bool `json:"connected"`
			} `json:"sources"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			return false, err.Error()
		}
		return len(s.Sources) == 1 && s.Sources[0].Connected, string(b)
	})
	time.Sleep(time.Second)

	msgs, xssKey, known, sim := buildWorkload(t)
	st.xssKey, st.known, st.sim, st.distinct = xssKey, known, sim, len(known)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := meshsim.Publish(ctx, broker.URL, msgs, 0); err != nil {
		t.Fatalf("publish workload: %v", err)
	}

	port := freePort(t)
	st.base = "http://127.0.0.1:" + strconv.Itoa(port)
	// The server serves its embedded copy of public/ (the production path, with content-hash
	// URLs and the import map); go build above embedded the current files.
	startProc(t, tmp, "server", server, "-port", strconv.Itoa(port), "-db", dbPath, "-config-dir", cfgDir)
	poll(t, "/api/healthz", 60*time.Second, func() (bool, string) {
		code, err := getJSON(st.base+"/api/healthz", nil)
		return code == 200, fmt.Sprintf("status %d err %v", code, err)
	})
	poll(t, "all workload packets to be served", 90*time.Second, func() (bool, string) {
		var r struct {
			Total int `json:"total"`
		}
		_, err := getJSON(st.base+"/api/packets?groupByHash=true&limit=1", &r)
		return err == nil && r.Total >= st.distinct, fmt.Sprintf("total %d of %d, err %v", r.Total, st.distinct, err)
	})

	pub := httptest.NewServer(http.HandlerFunc(st.servePublish))
	t.Cleanup(pub.Close)
	st.pubURL = pub.URL

	st.shots = filepath.Join(root, "internal", "webtest", "screenshots")
	if err := os.MkdirAll(st.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return st
}

// servePublish is the endpoint the specs POST to when a page is open and waiting: with no kind
// it publishes one fresh transmission in real time and answers {"hash"}; ?kind=K runs
// publishKinds[K]. The answer is sent after the publisher is flushed and closed.
func (st *stack) servePublish(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	kind := r.URL.Query().Get("kind")
	fn := publishKinds[kind]
	if kind == "" {
		fn = publishFresh
	}
	if fn == nil {
		http.Error(w, "unknown publish kind "+kind, http.StatusBadRequest)
		return
	}
	p, err := meshsim.Dial(ctx, st.brokerURL, 0)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	st.seq++
	res, err := fn(ctx, p, st)
	if cerr := p.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		http.Error(w, fmt.Sprintf("publish %q: %v", kind, err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

// publishFresh publishes live traffic of the workload's mesh until one transmission with a hash
// no page has seen yet went out (a repeat would prove nothing) and answers {"hash"}.
func publishFresh(ctx context.Context, p *meshsim.Publisher, st *stack) (any, error) {
	hash := ""
	for tries := 0; tries < 5 && hash == ""; tries++ {
		st.liveTx++
		err := st.sim.Live(ctx, 100, st.liveTx, func(m meshsim.Message) error {
			if m.Kind == meshsim.KindPacket && hash == "" && !st.known[m.Hash] {
				hash = m.Hash
			}
			if m.Kind == meshsim.KindPacket {
				st.known[m.Hash] = true
			}
			return p.Publish(ctx, m)
		})
		if err != nil {
			return nil, err
		}
	}
	if hash == "" {
		return nil, fmt.Errorf("no fresh transmission after 5 tries")
	}
	return map[string]string{"hash": hash}, nil
}
