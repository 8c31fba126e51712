package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
)

// staticFiles serves the SPA. Embedded assets get content-hash URLs: the
// index references every .js/.css as /path?v=<hash>, and an import map maps
// every ES module's URL to its hashed form so relative `import` statements
// inside the modules pick up the hashed URLs too without rewriting them.
// Requests carrying the current hash are cached for a year (immutable);
// everything else, and index.html, is no-cache. From disk (-public), nothing
// is hashed and everything is no-cache so edits show up on reload.
type staticFiles struct {
	fsys     fs.FS
	fromDisk bool
	log      *slog.Logger
	hashes   map[string]string // "/js/app.js" → 12 hex chars, .js/.css (embedded mode)
	etags    map[string]string // every embedded file → quoted content hash
	index    []byte            // processed index.html (embedded mode)
	csp      string            // Content-Security-Policy for every response
}

const apiOnlyPage = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>CoreScope</title></head>
<body><h1>CoreScope</h1><p>The web frontend was not found; this server answers the API only
(<a href="/api/docs">API docs</a>).</p></body></html>
`

func newStaticFiles(fsys fs.FS, fromDisk bool, log *slog.Logger) (*staticFiles, error) {
	st := &staticFiles{fsys: fsys, fromDisk: fromDisk, log: log, csp: contentSecurityPolicy(nil)}
	if fsys == nil || fromDisk {
		return st, nil
	}
	st.hashes = make(map[string]string)
	st.etags = make(map[string]string)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isAsset(p) {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:6])
		// Every file gets an ETag so no-cache revalidation is a 304.
		st.etags["/"+p] = `"` + h + `"`
		if ext := path.Ext(p); ext == ".js" || ext == ".css" || ext == ".mjs" {
			st.hashes["/"+p] = h
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hash public assets: %w", err)
	}
	idx, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return st, nil
		}
		return nil, fmt.Errorf("read index.html: %w", err)
	}
	st.index = st.processIndex(idx)
	st.csp = contentSecurityPolicy(st.index)
	return st, nil
}

// contentSecurityPolicy allows scripts from our own origin only, plus the one
// inline script the app has: the import map processIndex writes, by its
// SHA-256 (import maps cannot be external). Map tiles may come from any
// https host (the operator configures them); styles allow inline because
// Leaflet positions markers with style attributes. frame-ancestors 'none'
// keeps the dashboard out of other sites' frames (clickjacking).
func contentSecurityPolicy(index []byte) string {
	script := "'self'"
	if body := importMapBody(index); body != nil {
		sum := sha256.Sum256(body)
		script += " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'self'; script-src " + script +
		"; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:" +
		"; connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:" +
		"; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

// importMapBody returns the text inside index's import map script, or nil.
func importMapBody(index []byte) []byte {
	const open = `<script type="importmap">`
	i := bytes.Index(index, []byte(open))
	if i < 0 {
		return nil
	}
	rest := index[i+len(open):]
	j := bytes.Index(rest, []byte("</script>"))
	if j < 0 {
		return nil
	}
	return rest[:j]
}

// securityHeaders sets the headers a public dashboard should send on every
// response, API and static alike.
func (st *staticFiles) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", st.csp)
		next.ServeHTTP(w, r)
	})
}

var assetRef = regexp.MustCompile(`(src|href)="([^"#?:]+\.(?:js|mjs|css))"`)

// processIndex makes asset references absolute with ?v=<hash> and inserts
// (or extends) the import map for ES modules.
func (st *staticFiles) processIndex(idx []byte) []byte {
	idx = assetRef.ReplaceAllFunc(idx, func(m []byte) []byte {
		sub := assetRef.FindSubmatch(m)
		ref := string(sub[2])
		abs := path.Clean("/" + strings.TrimPrefix(ref, "./"))
		if h, ok := st.hashes[abs]; ok {
			return []byte(fmt.Sprintf(`%s="%s?v=%s"`, sub[1], abs, h))
		}
		return m
	})
	imports := map[string]string{}
	for p, h := range st.hashes {
		if strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs") {
			imports[p] = p + "?v=" + h
		}
	}
	// Merge with an import map the page already has (its entries win).
	const open = `<script type="importmap">`
	if i := bytes.Index(idx, []byte(open)); i >= 0 {
		j := bytes.Index(idx[i:], []byte("</script>"))
		if j > 0 {
			var existing struct {
				Imports map[string]string          `json:"imports"`
				Rest    map[string]json.RawMessage `json:"-"`
			}
			body := idx[i+len(open) : i+j]
			if json.Unmarshal(body, &existing) == nil {
				for k, v := range existing.Imports {
					imports[k] = v
				}
				var all map[string]json.RawMessage
				_ = json.Unmarshal(body, &all)
				if all == nil {
					all = map[string]json.RawMessage{}
				}
				all["imports"] = mustJSON(imports)
				out := append([]byte{}, idx[:i+len(open)]...)
				out = append(out, mustJSON(all)...)
				return append(out, idx[i+j:]...)
			}
			st.log.Warn("index.html import map is not valid JSON; leaving it alone")
			return idx
		}
	}
	tag := append([]byte(open), mustJSON(map[string]any{"imports": imports})...)
	tag = append(tag, "</script>\n"...)
	// The import map must precede every module script.
	if k := bytes.Index(idx, []byte("<script")); k >= 0 {
		return append(append(append([]byte{}, idx[:k]...), tag...), idx[k:]...)
	}
	if k := bytes.Index(idx, []byte("</head>")); k >= 0 {
		return append(append(append([]byte{}, idx[:k]...), tag...), idx[k:]...)
	}
	return append(tag, idx...)
}

// mustJSON marshals maps of strings/raw JSON (keys come out sorted, so the
// index is deterministic).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return b
}

// ServeHTTP serves a file, the index for "/" and client routes, or the
// API-only page when there is no frontend.
func (st *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if st.fsys == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = io.WriteString(w, apiOnlyPage)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if p == "/" || p == "/index.html" {
		st.serveIndex(w, r)
		return
	}
	name := strings.TrimPrefix(p, "/")
	f, err := st.fsys.Open(name)
	if err == nil && !isAsset(name) {
		f.Close()
		err = fs.ErrNotExist
	}
	if err == nil {
		defer f.Close()
		fi, statErr := f.Stat()
		if statErr == nil && !fi.IsDir() {
			if rs, ok := f.(io.ReadSeeker); ok {
				h := w.Header()
				if v := r.URL.Query().Get("v"); v != "" && !st.fromDisk && v == st.hashes[p] {
					h.Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					h.Set("Cache-Control", "no-cache")
				}
				if et := st.etags[p]; et != "" {
					h.Set("ETag", et)
				}
				modTime := fi.ModTime()
				if st.fromDisk {
					modTime = time.Time{} // no-cache anyway; avoid stale 304s on edits
				}
				http.ServeContent(w, r, fi.Name(), modTime, rs)
				return
			}
		}
	}
	// A missing asset is a 404, not the index: serving HTML for a .js URL
	// only produces confusing MIME errors in the browser.
	if ext := path.Ext(p); ext != "" && ext != ".html" {
		http.NotFound(w, r)
		return
	}
	st.serveIndex(w, r) // client route
}

// assetExts are the file types of the web app. public/ also holds files
// that are not (embed.go for go:embed, notes, licences): those are never
// served, whatever the URL.
var assetExts = map[string]bool{
	".html": true, ".js": true, ".mjs": true, ".css": true, ".json": true, ".map": true,
	".png": true, ".svg": true, ".ico": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true,
	".woff": true, ".woff2": true, ".ttf": true, ".webmanifest": true, ".wasm": true,
}

// isAsset reports whether the file at p (slash-separated) may be served.
func isAsset(p string) bool { return assetExts[strings.ToLower(path.Ext(p))] }

func (st *staticFiles) serveIndex(w http.ResponseWriter, r *http.Request) {
	idx := st.index
	if st.fromDisk || idx == nil {
		b, err := fs.ReadFile(st.fsys, "index.html")
		if err != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, apiOnlyPage)
			return
		}
		idx = b
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(idx)
}
