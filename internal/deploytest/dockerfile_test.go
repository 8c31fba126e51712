package deploytest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// No Docker engine runs in CI, so the image is never built there
// (`./manage.sh test-image` does that where Docker exists). These tests
// read the Dockerfile with BuildKit's own parser and check what a build and
// a start would trip over first: every COPY source exists in the build
// context (after .dockerignore), the entrypoint and healthcheck scripts
// exist and are executable, and the EXPOSEd ports are the documented ones.

// TestDockerfileMatchesTheRepository checks the real Dockerfile.
func TestDockerfileMatchesTheRepository(t *testing.T) {
	df, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkDockerfile(t, repoRoot, df, string(readme)) {
		t.Error(p)
	}
	// `./manage.sh test-image` runs its checker in the stage named "build"
	// (docker build --target build), from the build context.
	hasBuild := false
	for _, in := range parseDockerfile(t, df) {
		if in.cmd == "from" && len(in.args) == 3 && in.args[2] == "build" {
			hasBuild = true
		}
	}
	if !hasBuild {
		t.Error(`no stage "AS build": ./manage.sh test-image runs its checker there`)
	}
	if ignored(dockerignore(repoRoot), "internal/deploytest/stackcheck/main.go") {
		t.Error(".dockerignore excludes internal/deploytest/stackcheck, which test-image runs")
	}
}

// TestDockerfileCheckFindsMistakes: the checker reports each kind of
// mistake it exists for, so a passing TestDockerfileMatchesTheRepository
// means something.
func TestDockerfileCheckFindsMistakes(t *testing.T) {
	root := t.TempDir()
	write := func(name, body string, mode os.FileMode) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("docker/entrypoint.sh", "#!/bin/sh\n", 0o644) // not executable
	write("docker/healthcheck.sh", "#!/bin/sh\n", 0o755)
	write("secret.db", "x", 0o644)
	write(".dockerignore", "*.db\n", 0o644)
	df := `FROM alpine AS base
COPY docker/ /app/docker/
COPY missing.txt /app/
COPY secret.db /app/
COPY opt*.json /app/
COPY --from=nostage /out/ /app/
EXPOSE 80 8080/tcp
HEALTHCHECK CMD ["/app/docker/nothere.sh"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
`
	readme := "### The container\nPorts: 80 and 1883.\n"
	got := strings.Join(checkDockerfile(t, root, []byte(df), readme), "\n")
	for _, want := range []string{
		"line 3: COPY source missing.txt does not exist",
		"line 4: COPY source secret.db is excluded by .dockerignore",
		"line 5: COPY opt*.json matches no file",
		"line 6: COPY --from=nostage names no earlier stage",
		"/app/docker/nothere.sh (docker/nothere.sh) does not exist",
		"/app/docker/entrypoint.sh (docker/entrypoint.sh) is not executable",
		"EXPOSE [80 8080] but README documents [1883 80]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problem %q not reported; got:\n%s", want, got)
		}
	}
}

// dfInstr is one Dockerfile instruction as BuildKit parses it.
type dfInstr struct {
	line  int
	cmd   string // lower case
	flags []string
	args  []string
}

func parseDockerfile(t *testing.T, df []byte) []dfInstr {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(df))
	if err != nil {
		t.Fatalf("Dockerfile does not parse: %v", err)
	}
	var out []dfInstr
	for _, n := range res.AST.Children {
		in := dfInstr{line: n.StartLine, cmd: strings.ToLower(n.Value), flags: n.Flags}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		out = append(out, in)
	}
	return out
}

// copyRule maps an image path prefix to a build-context path.
type copyRule struct{ src, dest string }

// checkDockerfile returns every problem found in df against the build
// context root and the README.
func checkDockerfile(t *testing.T, root string, df []byte, readme string) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	ignore := dockerignore(root)
	stages := map[string]bool{}
	var rules []copyRule // COPY rules of the current (in the end: final) stage
	var entry, health string
	var exposed []string
	workdir := "/"
	for _, in := range parseDockerfile(t, df) {
		switch in.cmd {
		case "from":
			workdir, rules = "/", nil
			if len(in.args) == 3 && strings.EqualFold(in.args[1], "as") {
				stages[strings.ToLower(in.args[2])] = true
			}
		case "workdir":
			workdir = path.Join(workdir, in.args[0])
		case "copy", "add":
			rules = append(rules, checkCopy(root, in, workdir, stages, ignore, bad)...)
		case "entrypoint":
			entry = in.args[0]
		case "healthcheck":
			if len(in.args) > 1 && strings.EqualFold(in.args[0], "CMD") {
				health = strings.Fields(in.args[1])[0]
			}
		case "expose":
			for _, p := range in.args {
				exposed = append(exposed, strings.TrimSuffix(p, "/tcp"))
			}
		}
	}
	for _, p := range []string{entry, health} {
		if p == "" {
			bad("no ENTRYPOINT or HEALTHCHECK CMD")
			continue
		}
		checkScript(root, rules, p, bad)
	}
	slices.Sort(exposed)
	documented := documentedPorts(readme)
	if !slices.Equal(exposed, documented) {
		bad("EXPOSE %v but README documents %v (the container section's \"Ports:\" sentence)", exposed, documented)
	}
	// The quick start's `docker run -p HOST:CONTAINER` maps exposed ports only.
	for _, m := range regexp.MustCompile(`-p (\d+):(\d+)`).FindAllStringSubmatch(readme, -1) {
		if !slices.Contains(exposed, m[2]) {
			bad("README publishes container port %s, which the Dockerfile does not EXPOSE", m[2])
		}
	}
	return problems
}

func checkCopy(root string, in dfInstr, workdir string, stages map[string]bool, ignore []string, bad func(string, ...any)) []copyRule {
	for _, f := range in.flags {
		if from, ok := strings.CutPrefix(f, "--from="); ok {
			if !stages[strings.ToLower(from)] && !strings.ContainsAny(from, ":/") {
				bad("line %d: COPY --from=%s names no earlier stage", in.line, from)
			}
			return nil
		}
	}
	if len(in.args) < 2 {
		bad("line %d: COPY needs a source and a destination", in.line)
		return nil
	}
	dest := in.args[len(in.args)-1]
	if !path.IsAbs(dest) {
		dest = path.Join(workdir, dest) + map[bool]string{true: "/"}[strings.HasSuffix(dest, "/") || dest == "."]
	}
	var rules []copyRule
	for _, src := range in.args[:len(in.args)-1] {
		src = path.Clean(src)
		if strings.ContainsAny(src, "*?[") {
			matches, _ := filepath.Glob(filepath.Join(root, src))
			n := 0
			for _, m := range matches {
				if rel, _ := filepath.Rel(root, m); !ignored(ignore, rel) {
					n++
				}
			}
			if n == 0 {
				// Docker fails only when no source of the instruction
				// matches; this Dockerfile's globs are optional files, so
				// one of them must exist.
				if !anyExists(root, in.args[:len(in.args)-1], ignore) {
					bad("line %d: COPY %s matches no file", in.line, src)
				}
			}
			continue
		}
		if _, err := os.Stat(filepath.Join(root, src)); err != nil {
			bad("line %d: COPY source %s does not exist in the build context", in.line, src)
			continue
		}
		if ignored(ignore, src) {
			bad("line %d: COPY source %s is excluded by .dockerignore", in.line, src)
			continue
		}
		rules = append(rules, copyRule{src: src, dest: dest})
	}
	return rules
}

func anyExists(root string, srcs []string, ignore []string) bool {
	for _, s := range srcs {
		matches, _ := filepath.Glob(filepath.Join(root, s))
		for _, m := range matches {
			if rel, _ := filepath.Rel(root, m); !ignored(ignore, rel) {
				return true
			}
		}
	}
	return false
}

// checkScript finds the build-context file that lands at image path p
// (the last COPY of the final stage that covers it) and checks it.
func checkScript(root string, rules []copyRule, p string, bad func(string, ...any)) {
	src := ""
	for _, r := range slices.Backward(rules) {
		fi, err := os.Stat(filepath.Join(root, r.src))
		if err != nil {
			continue
		}
		switch {
		case fi.IsDir() && strings.HasPrefix(p, strings.TrimSuffix(r.dest, "/")+"/"):
			src = path.Join(r.src, strings.TrimPrefix(p, strings.TrimSuffix(r.dest, "/")+"/"))
		case !fi.IsDir() && (r.dest == p || (strings.HasSuffix(r.dest, "/") && r.dest+path.Base(r.src) == p)):
			src = r.src
		}
		if src != "" {
			break
		}
	}
	if src == "" {
		bad("%s: no COPY of the final stage puts a file there", p)
		return
	}
	fi, err := os.Stat(filepath.Join(root, src))
	switch {
	case err != nil:
		bad("%s (%s) does not exist", p, src)
	case fi.Mode()&0o111 == 0:
		bad("%s (%s) is not executable (git update-index --chmod=+x)", p, src)
	default:
		f, _ := os.Open(filepath.Join(root, src))
		first, _ := bufio.NewReader(f).ReadString('\n')
		f.Close()
		if !strings.HasPrefix(first, "#!") {
			bad("%s (%s) has no #! line", p, src)
		}
	}
}

// documentedPorts reads the README container section's "Ports: 80, 443,
// 1883, and 3000 (…)." sentence.
func documentedPorts(readme string) []string {
	i := strings.Index(readme, "### The container")
	if i < 0 {
		return nil
	}
	m := regexp.MustCompile(`Ports:([^.]*)\.`).FindStringSubmatch(readme[i:])
	if m == nil {
		return nil
	}
	ports := regexp.MustCompile(`\b\d{2,5}\b`).FindAllString(m[1], -1)
	slices.Sort(ports)
	return slices.Compact(ports)
}

// dockerignore reads the build context's .dockerignore patterns.
func dockerignore(root string) []string {
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, strings.TrimPrefix(l, "/"))
		}
	}
	return out
}

// ignored reports whether rel or one of its parent directories matches a
// pattern (Docker's rules, without negation: this repository uses none).
func ignored(patterns []string, rel string) bool {
	rel = filepath.ToSlash(rel)
	for p := rel; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		for _, pat := range patterns {
			pat = strings.TrimSuffix(pat, "/")
			if ok, _ := path.Match(pat, p); ok {
				return true
			}
			if rest, ok := strings.CutPrefix(pat, "**/"); ok {
				if ok, _ := path.Match(rest, path.Base(p)); ok {
					return true
				}
			}
		}
	}
	return false
}
