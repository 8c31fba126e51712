package api

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/corescope/corescope/internal/config"
)

// TestGarbageInputNeverFails500 throws malformed paths, parameters and
// bodies at every endpoint: each must answer a 4xx (or 200) with a JSON
// error, never a 500 or a dropped connection.
func TestGarbageInputNeverFails500(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	_, ts := newServer(t, testConfig(func(c *config.Config) { c.APIKey = "a-very-strong-key-0123" }), st,
		func(o *Options) { o.Publisher = &recordingPublisher{}; o.ConfigPath = t.TempDir() + "/config.json" })
	junk := []string{"", "-1", "0", "999999999999999999999", "1e9", "NaN", "%00", "' OR 1=1 --", "💥", "../../etc/passwd", "null", "[]", "{}"}
	paths := []string{
		"/api/packets?limit=%s", "/api/packets?offset=%s", "/api/packets?type=%s", "/api/packets?route=%s",
		"/api/packets?since=%s", "/api/packets?until=%s", "/api/packets?before=%s", "/api/packets?hash=%s",
		"/api/packets?node=%s", "/api/packets?nodes=%s", "/api/packets?channel=%s", "/api/packets?region=%s",
		"/api/packets?observer=%s", "/api/packets?groupByHash=true&limit=%s", "/api/packets?expand=%s",
		"/api/packets/%s", "/api/packets/timestamps?since=%s", "/api/traces/%s",
		"/api/nodes?limit=%s", "/api/nodes?sortBy=%s", "/api/nodes?lastHeard=%s", "/api/nodes?before=%s",
		"/api/nodes?role=%s&search=%s", "/api/nodes/search?q=%s", "/api/nodes/%s", "/api/nodes/%s/health",
		"/api/nodes/%s/paths", "/api/nodes/%s/neighbors?min_count=%s", "/api/resolve-hops?hops=%s",
		"/api/channels?includeEncrypted=%s", "/api/channels/%s/messages?limit=%s", "/api/observers/%s",
	}
	for _, p := range paths {
		for _, j := range junk {
			u := ts.URL + replaceAll(p, url.QueryEscape(j))
			resp, err := noRedirect.Get(u)
			if err != nil {
				t.Fatalf("GET %s: %v", u, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, hdr := resp.StatusCode, resp.Header
			if code >= 500 {
				t.Fatalf("GET %s: %d %s", u, code, trunc(body))
			}
			// ".." segments are cleaned by a redirect, which is fine.
			if code/100 != 3 && hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("GET %s: content type %q", u, hdr.Get("Content-Type"))
			}
		}
	}
	key := map[string]string{"X-API-Key": "a-very-strong-key-0123"}
	bodies := []string{"", "{", "[]", "null", `{"hex":123}`, `{"hex":"0"}`, `{"hex":"zz"}`, `{"hex":"00"}`,
		`{"hashes":"x"}`, `{"hashes":[1,2]}`, `{"polygon":"x"}`, `{"polygon":[[1]]}`, `{"polygon":[[1,2],[3,4],[5,1e999]]}`}
	for _, ep := range []struct{ method, path string }{
		{"POST", "/api/decode"}, {"POST", "/api/packets"}, {"POST", "/api/packets/observations"}, {"PUT", "/api/config/geo-filter"},
	} {
		for _, b := range bodies {
			code, _, resp := fetch(t, ep.method, ts.URL+ep.path, b, key)
			if code >= 500 {
				t.Fatalf("%s %s %q: %d %s", ep.method, ep.path, b, code, trunc(resp))
			}
		}
	}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func replaceAll(pattern, v string) string {
	out := []byte{}
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '%' && i+1 < len(pattern) && pattern[i+1] == 's' {
			out = append(out, v...)
			i++
			continue
		}
		out = append(out, pattern[i])
	}
	return string(out)
}
