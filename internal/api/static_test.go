package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func spaFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":      {Data: []byte(`<html><head><link rel="stylesheet" href="style.css"><script src="js/boot.js"></script></head><body><script type="module" src="js/app.js"></script></body></html>`)},
		"style.css":       {Data: []byte(`body{}`)},
		"js/boot.js":      {Data: []byte(`1`)},
		"js/app.js":       {Data: []byte(`import {x} from './lib.js';`)},
		"js/lib.js":       {Data: []byte(`export const x = 1;`)},
		"vendor/img.png":  {Data: []byte{0x89, 'P', 'N', 'G'}},
		"vendor/README":   {Data: []byte(`readme`)},
		"js/views/one.js": {Data: []byte(`export default 1;`)},
	}
}

func TestEmbeddedSPAHasHashedAssetsAndImportMap(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, func(o *Options) { o.Public = spaFS() })
	code, hdr, idx := fetch(t, http.MethodGet, ts.URL+"/", "", nil)
	if code != 200 || hdr.Get("Cache-Control") != "no-cache, no-store, must-revalidate" {
		t.Fatalf("index: %d cache-control %q", code, hdr.Get("Cache-Control"))
	}
	ref := regexp.MustCompile(`src="(/js/app\.js\?v=[0-9a-f]{12})"`).FindSubmatch(idx)
	if ref == nil || !bytes.Contains(idx, []byte(`href="/style.css?v=`)) {
		t.Fatalf("index references not hashed: %s", idx)
	}
	m := regexp.MustCompile(`<script type="importmap">(.*?)</script>`).FindSubmatch(idx)
	if m == nil {
		t.Fatalf("no import map in %s", idx)
	}
	var im struct {
		Imports map[string]string `json:"imports"`
	}
	if err := json.Unmarshal(m[1], &im); err != nil {
		t.Fatalf("import map JSON: %v", err)
	}
	lib := im.Imports["/js/lib.js"]
	if !strings.HasPrefix(lib, "/js/lib.js?v=") || im.Imports["/js/views/one.js"] == "" {
		t.Fatalf("import map %v", im.Imports)
	}
	if bytes.Index(idx, m[0]) > bytes.Index(idx, []byte(`type="module"`)) {
		t.Fatal("import map must come before the first module script")
	}
	// The hashed URL is immutable; the bare URL must revalidate.
	_, hdr, body := fetch(t, http.MethodGet, ts.URL+lib, "", nil)
	if hdr.Get("Cache-Control") != "public, max-age=31536000, immutable" || string(body) != "export const x = 1;" {
		t.Fatalf("hashed asset: cache %q body %q", hdr.Get("Cache-Control"), body)
	}
	_, hdr, _ = fetch(t, http.MethodGet, ts.URL+"/js/lib.js?v=stale", "", nil)
	if hdr.Get("Cache-Control") != "no-cache" {
		t.Fatalf("stale hash: cache %q, want no-cache", hdr.Get("Cache-Control"))
	}
	if !strings.Contains(hdr.Get("Content-Type"), "javascript") {
		t.Fatalf("js content type %q", hdr.Get("Content-Type"))
	}
	// Unhashed files revalidate cheaply: ETag → 304.
	_, hdr, _ = fetch(t, http.MethodGet, ts.URL+"/vendor/img.png", "", nil)
	etag := hdr.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on an embedded file")
	}
	if code, _, _ := fetch(t, http.MethodGet, ts.URL+"/vendor/img.png", "", map[string]string{"If-None-Match": etag}); code != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d, want 304", code)
	}
	// Client routes get the index; missing assets are a real 404.
	if code, _, body := fetch(t, http.MethodGet, ts.URL+"/nodes/abc", "", nil); code != 200 || !bytes.Contains(body, []byte("importmap")) {
		t.Fatalf("client route: %d", code)
	}
	if code, _, _ := fetch(t, http.MethodGet, ts.URL+"/js/missing.js", "", nil); code != 404 {
		t.Fatalf("missing asset: %d, want 404", code)
	}
	if code, _, body := fetch(t, http.MethodGet, ts.URL+"/vendor/", "", nil); code != 200 || !bytes.Contains(body, []byte("importmap")) {
		t.Fatalf("directory: %d (want the index, no listing)", code)
	}
}

func TestNoFrontendServesAPIOnlyPage(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, nil)
	code, hdr, body := fetch(t, http.MethodGet, ts.URL+"/", "", nil)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("API only")) {
		t.Fatalf("api-only page: %d %s", code, body)
	}
}

func TestRealPublicDirectoryIndexIsProcessed(t *testing.T) {
	st, err := newStaticFiles(publicDirFS(t), false, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(st.index, []byte(`src="/js/app.js?v=`)) || !bytes.Contains(st.index, []byte(`<script type="importmap">`)) {
		t.Fatalf("public/index.html not processed: %s", st.index)
	}
}

func publicDirFS(t *testing.T) fs.FS {
	t.Helper()
	return os.DirFS("../../public")
}

func TestPublicFromDiskIsServedUnhashedAndUncached(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/js", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/index.html", []byte(`<script type="module" src="js/app.js"></script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/js/app.js", []byte(`v1`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, ts := newServer(t, testConfig(nil), nil, func(o *Options) { o.Public = os.DirFS(dir); o.PublicFromDisk = true })
	_, _, idx := fetch(t, http.MethodGet, ts.URL+"/", "", nil)
	if bytes.Contains(idx, []byte("importmap")) || !bytes.Contains(idx, []byte(`src="js/app.js"`)) {
		t.Fatalf("disk index was rewritten: %s", idx)
	}
	if err := os.WriteFile(dir+"/js/app.js", []byte(`v2`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, hdr, body := fetch(t, http.MethodGet, ts.URL+"/js/app.js", "", nil)
	if string(body) != "v2" || hdr.Get("Cache-Control") != "no-cache" {
		t.Fatalf("edited asset: %q cache %q", body, hdr.Get("Cache-Control"))
	}
}

// TestSecurityHeadersAllowOnlyOurScripts: every response says nosniff and
// refuses framing; the CSP allows scripts from our origin plus exactly the
// import map the server wrote into the index (by hash), and no inline script.
func TestSecurityHeadersAllowOnlyOurScripts(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, func(o *Options) { o.Public = spaFS() })
	for _, p := range []string{"/", "/js/app.js", "/api/stats", "/api/nope"} {
		_, hdr, _ := fetch(t, http.MethodGet, ts.URL+p, "", nil)
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: nosniff %q frame %q", p, hdr.Get("X-Content-Type-Options"), hdr.Get("X-Frame-Options"))
		}
		csp := hdr.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "object-src 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
	_, hdr, idx := fetch(t, http.MethodGet, ts.URL+"/", "", nil)
	m := regexp.MustCompile(`<script type="importmap">(.*?)</script>`).FindSubmatch(idx)
	if m == nil {
		t.Fatalf("no import map in %s", idx)
	}
	sum := sha256.Sum256(m[1])
	want := "script-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
	csp := hdr.Get("Content-Security-Policy")
	if !strings.Contains(csp, want) {
		t.Fatalf("CSP %q lacks %q", csp, want)
	}
	if strings.Contains(csp, "unsafe-inline' ;") || strings.Contains(strings.SplitN(strings.SplitN(csp, "script-src", 2)[1], ";", 2)[0], "unsafe") {
		t.Fatalf("script-src allows unsafe sources: %q", csp)
	}
}

// TestNoLeafletHTMLFromStrings: Leaflet inserts string content as HTML, so
// the app may attach tooltips and popups only through mapbase.js (bindTip,
// bindPop), which turns strings into text nodes. Any other call fails here.
func TestNoLeafletHTMLFromStrings(t *testing.T) {
	root := filepath.Join("..", "..", "public", "js")
	call := regexp.MustCompile(`\.(bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent)\(`)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") || filepath.Base(p) == "mapbase.js" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if call.MatchString(line) {
				t.Errorf("%s:%d calls Leaflet content directly (use bindTip/bindPop from mapbase.js): %s", p, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
