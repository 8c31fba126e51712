package api

import (
	_ "embed"
	"fmt"
	"html"
	"io/fs"
	"net/http"
)

// apiDoc is our API reference (API.md in this directory), served at
// /api/docs as a readable page and at /api/docs/API.md as Markdown. It is
// embedded, so the docs always match the binary and work offline.
//
//go:embed API.md
var apiDoc string

var apiDocPage = []byte(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CoreScope API</title>
<style>body{margin:0 auto;max-width:110ch;padding:1rem;font:14px/1.5 ui-monospace,monospace;color-scheme:light dark}
pre{white-space:pre-wrap;word-wrap:break-word}</style></head>
<body><p><a href="/api/docs/API.md">Markdown source</a></p><pre>` + html.EscapeString(apiDoc) + `</pre></body></html>
`)

// swaggerPage is /api/docs when the web app's files include the vendored
// Swagger UI: the UI from public/vendor/swagger-ui (npm swagger-ui-dist,
// pinned) started by public/js/api-docs.js (no inline script: CSP), reading
// /api/spec. Nothing comes from another origin.
const swaggerPage = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CoreScope API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css%s">
</head><body>
<p style="margin:1rem 2rem 0;font:14px sans-serif"><a href="/api/docs/API.md">API reference (Markdown)</a> ·
<a href="/api/spec">OpenAPI 3.1 document</a></p>
<div id="swagger-ui"></div>
<script src="/vendor/swagger-ui/swagger-ui-bundle.js%s"></script>
<script type="module" src="/js/api-docs.js%s"></script>
</body></html>
`

func (s *Server) docs(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	if page := s.static.swaggerPage(); page != nil {
		_, _ = w.Write(page)
		return
	}
	_, _ = w.Write(apiDocPage) // API-only server: the reference as text
}

func (s *Server) docsMarkdown(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte(apiDoc))
}

// swaggerPage renders swaggerPage with content-hash URLs, or nil when the
// web app (or its vendored Swagger UI) is not there.
func (st *staticFiles) swaggerPage() []byte {
	if st == nil || st.fsys == nil {
		return nil
	}
	files := []string{"/vendor/swagger-ui/swagger-ui.css", "/vendor/swagger-ui/swagger-ui-bundle.js", "/js/api-docs.js"}
	v := make([]any, len(files))
	for i, f := range files {
		if _, err := fs.Stat(st.fsys, f[1:]); err != nil {
			return nil
		}
		v[i] = ""
		if h := st.hashes[f]; h != "" && !st.fromDisk {
			v[i] = "?v=" + h
		}
	}
	return fmt.Appendf(nil, swaggerPage, v...)
}
