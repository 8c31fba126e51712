package api

import (
	"regexp"
	"strings"
	"testing"

	"github.com/corescope/corescope/public"
)

// TestDocsServesVendoredSwaggerUI: /api/docs loads Swagger UI and its init
// script from this server only (content-hash URLs that answer 200), with no
// inline script; an API-only server falls back to the text reference.
func TestDocsServesVendoredSwaggerUI(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, func(o *Options) { o.Public = public.FS })
	code, hdr, body := fetch(t, "GET", ts.URL+"/api/docs", "", nil)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("/api/docs: %d %s", code, hdr.Get("Content-Type"))
	}
	page := string(body)
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Errorf("page references another origin:\n%s", page)
	}
	if regexp.MustCompile(`<script(\s+type="module")?>`).MatchString(page) {
		t.Errorf("inline script (the CSP forbids it):\n%s", page)
	}
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(page, -1)
	want := map[string]bool{"/vendor/swagger-ui/swagger-ui-bundle.js": false, "/vendor/swagger-ui/swagger-ui.css": false, "/js/api-docs.js": false}
	for _, r := range refs {
		u := r[1]
		p, _, _ := strings.Cut(u, "?")
		if _, ok := want[p]; !ok {
			continue
		}
		want[p] = true
		if !strings.Contains(u, "?v=") {
			t.Errorf("%s has no content-hash URL", u)
		}
		c, _, b := fetch(t, "GET", ts.URL+u, "", nil)
		if c != 200 || len(b) == 0 {
			t.Errorf("%s: HTTP %d, %d bytes", u, c, len(b))
		}
	}
	for p, seen := range want {
		if !seen {
			t.Errorf("/api/docs does not load %s", p)
		}
	}
	if c, _, b := fetch(t, "GET", ts.URL+"/api/docs/API.md", "", nil); c != 200 || !strings.Contains(string(b), "# CoreScope HTTP") {
		t.Errorf("Markdown reference: %d", c)
	}

	_, bare := newServer(t, testConfig(nil), nil, nil)
	_, _, body = fetch(t, "GET", bare.URL+"/api/docs", "", nil)
	if !strings.Contains(string(body), "Markdown source") || strings.Contains(string(body), `<script src="/vendor/swagger-ui`) {
		t.Errorf("API-only server: want the text reference, got %.200s", body)
	}
}
