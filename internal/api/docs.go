package api

import (
	_ "embed"
	"html"
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

func (s *Server) docs(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(apiDocPage)
}

func (s *Server) docsMarkdown(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte(apiDoc))
}
