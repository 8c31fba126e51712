package loadtest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
	"github.com/corescope/corescope/internal/store"
)

func TestLoad(t *testing.T) {
	if os.Getenv("CORESCOPE_LOAD") != "1" {
		t.Skip("load benchmark: set CORESCOPE_LOAD=1 (see package doc)")
	}
	dbPath := referenceDB(t)
	bin := buildServer(t)
	dir := t.TempDir()
	gz := os.Getenv("CORESCOPE_LOAD_GZIP") != "0"
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(fmt.Sprintf(`{"compression": {"gzip": %t}}`, gz)), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := []string{"-config-dir", dir, "-db", dbPath, "-addr", fmt.Sprintf("127.0.0.1:%d", port)}
	if os.Getenv("CORESCOPE_LOAD_CACHE") == "0" {
		args = append(args, "-response-cache-ms", "0") // measure the full per-request cost
	}
	cmd := exec.Command(bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}, Timeout: 2 * time.Minute}
	var firstAnswer, fullLoad time.Duration
	for {
		resp, err := client.Get(base + "/api/healthz")
		if err == nil {
			resp.Body.Close()
			if firstAnswer == 0 {
				firstAnswer = time.Since(started)
			}
			if resp.StatusCode == 200 {
				fullLoad = time.Since(started)
				break
			}
		}
		if time.Since(started) > 5*time.Minute {
			t.Fatalf("server not ready after 5 min; logs:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let the post-load GC settle
	rssLoaded, _ := procStatus(cmd.Process.Pid)
	t.Logf("gzip %t, response cache %t", gz, os.Getenv("CORESCOPE_LOAD_CACHE") != "0")
	t.Logf("time to first answer %v, to full load %v, RSS after load %.0f MB", firstAnswer.Round(time.Millisecond), fullLoad.Round(time.Millisecond), rssLoaded)

	keys := pickKeys(t, client, base)
	since := time.Now().Add(-25 * time.Hour).UTC().Format(time.RFC3339)
	small := []string{
		"/api/healthz", "/api/stats", "/api/health", "/api/config/client", "/api/config/theme",
		"/api/packets?limit=50", "/api/packets?limit=50&groupByHash=true", "/api/packets?type=4&limit=50",
		"/api/packets?limit=50&observer=" + keys.observer, "/api/packets?limit=50&node=" + keys.node,
		"/api/packets/" + keys.hash, "/api/packets/timestamps?since=" + url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)),
		"/api/nodes?limit=50", "/api/nodes/search?q=" + keys.node[:2], "/api/nodes/" + keys.node,
		"/api/nodes/" + keys.node + "/health", "/api/nodes/" + keys.node + "/paths", "/api/nodes/" + keys.node + "/neighbors",
		"/api/observers", "/api/observers/" + keys.observer, "/api/channels",
		"/api/channels/" + url.PathEscape(keys.channel) + "/messages?limit=50",
		"/api/resolve-hops?hops=" + keys.node[:2] + "," + keys.node[2:4], "/api/traces/" + keys.hash,
	}
	large := []struct {
		path   string
		decode func([]byte) (any, error)
	}{
		{"/api/packets?limit=2000&expand=observations&since=" + url.QueryEscape(since), decodeAs[store.PacketPage]},
		{"/api/packets?type=5&limit=1000", decodeAs[store.PacketPage]},
		{"/api/channels/" + url.PathEscape(keys.channel) + "/messages?limit=200", decodeAs[store.ChannelMessages]},
		{"/api/nodes?limit=2000", decodeAs[store.NodePage]},
	}
	var report strings.Builder
	// CPU per request at c=50, split between the server process and this
	// process (the load generator: HTTP client, gzip decoding), which share
	// the machine's cores.
	fmt.Fprintf(&report, "| endpoint | bytes | p50 ms (c=50) | p95 ms (c=50) | p50 ms (c=1) | server CPU µs/req | client CPU µs/req |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	if os.Getenv("CORESCOPE_LOAD_ONLY") == "large" {
		small = nil // measure only the large responses (quicker re-runs of that table)
	}
	for _, p := range small {
		srv0, cli0 := procCPU(cmd.Process.Pid), selfCPU()
		r := hammer(t, client, base+p, 50, 500)
		srv, cli := procCPU(cmd.Process.Pid)-srv0, selfCPU()-cli0
		one := hammer(t, client, base+p, 1, 20)
		fmt.Fprintf(&report, "| `%s` | %d | %.1f | %.1f | %.2f | %d | %d |\n", shorten(p, keys), r.bytes, r.p50, r.p95, one.p50,
			srv.Microseconds()/500, cli.Microseconds()/500)
	}
	fmt.Fprintf(&report, "\nLarge responses (bound = json.Marshal of the same typed data + gzip at level 6 / level 1, one core):\n\n")
	fmt.Fprintf(&report, "| endpoint | bytes | p50 ms (c=50) | p95 ms (c=50) | server / client CPU ms per request (c=50) | p50 ms (c=1) | encode+gzip6 ms | encode+gzip1 ms |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, l := range large {
		srv0, cli0 := procCPU(cmd.Process.Pid), selfCPU()
		r := hammer(t, client, base+l.path, 50, 100)
		srv, cli := procCPU(cmd.Process.Pid)-srv0, selfCPU()-cli0
		one := hammer(t, client, base+l.path, 1, 10)
		b6, b1 := encodeBound(t, client, base+l.path, l.decode)
		fmt.Fprintf(&report, "| `%s` | %d | %.0f | %.0f | %.1f / %.1f | %.1f | %.1f | %.1f |\n", shorten(l.path, keys), r.bytes, r.p50, r.p95,
			float64(srv.Microseconds())/100e3, float64(cli.Microseconds())/100e3, one.p50, b6, b1)
	}
	rssAfter, hwm := procStatus(cmd.Process.Pid)
	fmt.Fprintf(&report, "\nRSS after load %.0f MB; after the latency run %.0f MB (peak %.0f MB). First answer %v, full load %v.\n",
		rssLoaded, rssAfter, hwm, firstAnswer.Round(time.Millisecond), fullLoad.Round(time.Millisecond))
	t.Log("\n" + report.String())
	if out := os.Getenv("CORESCOPE_LOAD_REPORT"); out != "" {
		_ = os.WriteFile(out, []byte(report.String()), 0o644)
	}
}

type keys struct{ hash, node, observer, channel string }

func pickKeys(t *testing.T, c *http.Client, base string) keys {
	var k keys
	var pk struct {
		Packets []struct {
			Hash string `json:"hash"`
		} `json:"packets"`
	}
	getInto(t, c, base+"/api/packets?limit=1&type=4", &pk)
	var nodes struct {
		Nodes []struct {
			PublicKey string `json:"public_key"`
		} `json:"nodes"`
	}
	getInto(t, c, base+"/api/nodes?limit=1&sortBy=packetCount", &nodes)
	var obs struct {
		Observers []struct {
			ID string `json:"id"`
		} `json:"observers"`
	}
	getInto(t, c, base+"/api/observers", &obs)
	var ch struct {
		Channels []struct {
			Hash string `json:"hash"`
		} `json:"channels"`
	}
	getInto(t, c, base+"/api/channels", &ch)
	if len(pk.Packets) == 0 || len(nodes.Nodes) == 0 || len(obs.Observers) == 0 || len(ch.Channels) == 0 {
		t.Fatal("reference database lacks packets, nodes, observers or channels")
	}
	k.hash, k.node, k.observer, k.channel = pk.Packets[0].Hash, nodes.Nodes[0].PublicKey, obs.Observers[0].ID, ch.Channels[0].Hash
	return k
}

func shorten(p string, k keys) string {
	p = strings.ReplaceAll(p, k.node, "{pk}")
	p = strings.ReplaceAll(p, k.hash, "{hash}")
	p = strings.ReplaceAll(p, k.observer, "{id}")
	p = strings.ReplaceAll(p, url.PathEscape(k.channel), "{channel}")
	if i := strings.Index(p, "since="); i >= 0 {
		p = p[:i] + "since=…"
	}
	return p
}

func getInto(t *testing.T, c *http.Client, u string, v any) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

type result struct {
	p50, p95 float64
	bytes    int
}

// hammer sends total GETs with conc workers and returns latency percentiles
// (ms, client-side, including transfer and gzip decoding).
func hammer(t *testing.T, c *http.Client, u string, conc, total int) result {
	t.Helper()
	return hammerDo(t, "GET "+u, conc, total, func() (*http.Response, error) { return c.Get(u) })
}

// hammerDo is hammer for any request: do sends one.
func hammerDo(t *testing.T, label string, conc, total int, do func() (*http.Response, error)) result {
	t.Helper()
	var mu sync.Mutex
	lat := make([]float64, 0, total)
	size := 0
	jobs := make(chan struct{}, total)
	for i := 0; i < total; i++ {
		jobs <- struct{}{}
	}
	close(jobs)
	var wg sync.WaitGroup
	var failed error
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				start := time.Now()
				resp, err := do()
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := float64(time.Since(start).Microseconds()) / 1000
				mu.Lock()
				if resp.StatusCode != 200 {
					failed = fmt.Errorf("%s: status %d", label, resp.StatusCode)
				}
				lat = append(lat, d)
				size = int(n)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	sort.Float64s(lat)
	return result{p50: lat[len(lat)/2], p95: lat[len(lat)*95/100], bytes: size}
}

func decodeAs[T any](b []byte) (any, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// encodeBound returns the ms to json.Marshal the response's typed data and
// gzip it at level 6 and at level 1: the floor for serving it without
// pre-encoded bytes.
func encodeBound(t *testing.T, c *http.Client, u string, decode func([]byte) (any, error)) (l6, l1 float64) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	v, err := decode(body)
	if err != nil {
		t.Fatalf("decode %s: %v", u, err)
	}
	const n = 10
	run := func(level int) float64 {
		start := time.Now()
		for i := 0; i < n; i++ {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			zw, _ := gzip.NewWriterLevel(io.Discard, level)
			_, _ = zw.Write(b)
			_ = zw.Close()
		}
		return float64(time.Since(start).Microseconds()) / 1000 / n
	}
	return run(6), run(1)
}

// procStatus returns VmRSS and VmHWM of pid in MB.
func procStatus(pid int) (rss, hwm float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/server")
	cmd.Dir = "../../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build server: %v\n%s", err, out)
	}
	return bin
}

// referenceDB returns a database holding the reference workload, generating
// it through Mosquitto and the real ingestor unless CORESCOPE_LOAD_DB already
// has one.
func referenceDB(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CORESCOPE_LOAD_DB")
	if path != "" {
		if _, err := os.Stat(path); err == nil {
			t.Logf("reusing %s", path)
			return path
		}
	} else {
		path = filepath.Join(t.TempDir(), "reference.db")
	}
	n := meshsim.ReferenceTransmissions
	if v, err := strconv.Atoi(os.Getenv("CORESCOPE_LOAD_TX")); err == nil && v > 0 {
		n = v
	}
	start := time.Now()
	sim := meshsim.New(meshsim.ReferenceOptions(1, time.Now().UTC().Truncate(time.Hour)))
	var msgs []ingesttest.Message
	_ = sim.Each(n, func(m meshsim.Message) error {
		msgs = append(msgs, ingesttest.Message{Topic: m.Topic, Payload: m.Payload})
		return nil
	})
	st := ingesttest.Fill(t, path, msgs)
	t.Logf("generated %d messages → %d transmissions, %d observations in %v", len(msgs), st.TxInserted, st.ObsInserted, time.Since(start).Round(time.Second))
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
