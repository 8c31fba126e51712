// Package public embeds the single-page app (index.html, ES modules, styles
// and vendored libraries) into the server binary. The server serves it with
// content-hash URLs; `server -public <dir>` serves a directory instead while
// developing.
package public

import "embed"

// FS holds every file of this directory (dotfiles excluded), rooted here:
// FS.Open("index.html").
//
//go:embed *
var FS embed.FS
