package api

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// loadSpec fetches /api/spec and validates it with kin-openapi (OpenAPI 3.1).
func loadSpec(t *testing.T, base string) *openapi3.T {
	t.Helper()
	_, _, body := fetch(t, "GET", base+"/api/spec", "", nil)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(body)
	if err != nil {
		t.Fatalf("load /api/spec: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/api/spec is not valid OpenAPI: %v", err)
	}
	return doc
}

// TestSpecIsValidOpenAPI31: the generated document passes kin-openapi's
// validator, every route with a proto message documents its schema, and the
// schemas have teeth (an unknown key or a wrong type is rejected).
func TestSpecIsValidOpenAPI31(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, nil)
	doc := loadSpec(t, ts.URL)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	n := 0
	for key := range routeResponses {
		method, path, _ := strings.Cut(key, " ")
		s := responseSchema(doc, method, path)
		if s == nil {
			t.Errorf("%s: no response schema in /api/spec", key)
			continue
		}
		n++
	}
	if n < 30 {
		t.Errorf("only %d documented response schemas", n)
	}
	list := responseSchema(doc, "GET", "/api/observers")
	good := map[string]any{"observers": []any{map[string]any{"id": "AB", "name": nil, "packet_count": 3.0}}, "server_time": "x"}
	if err := list.VisitJSON(good, openapi3.EnableJSONSchema2020()); err != nil {
		t.Errorf("a valid observer list rejected: %v", err)
	}
	for _, bad := range []map[string]any{
		{"observers": []any{map[string]any{"id": "AB", "surprise": 1.0}}},
		{"observers": []any{map[string]any{"id": 5.0}}},
		{"observers": []any{map[string]any{"packet_count": 1.5}}},
	} {
		if err := list.VisitJSON(bad, openapi3.EnableJSONSchema2020()); err == nil {
			t.Errorf("schema accepted %v", bad)
		}
	}
}

// responseSchema is the 200 JSON schema of an operation, nil if none.
func responseSchema(doc *openapi3.T, method, path string) *openapi3.Schema {
	item := doc.Paths.Value(path)
	if item == nil {
		return nil
	}
	op := item.GetOperation(strings.ToUpper(method))
	if op == nil || op.Responses == nil {
		return nil
	}
	r := op.Responses.Status(200)
	if r == nil || r.Value == nil {
		return nil
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// specChecker validates live contract-test responses against /api/spec and
// remembers which documented operations it saw.
type specChecker struct {
	doc     *openapi3.T
	tpls    []specTemplate
	checked map[string]bool
}

type specTemplate struct {
	path string
	re   *regexp.Regexp
	lit  bool
}

func newSpecChecker(t *testing.T, base string) *specChecker {
	doc := loadSpec(t, base)
	c := &specChecker{doc: doc, checked: map[string]bool{}}
	for _, p := range doc.Paths.InMatchingOrder() {
		re := regexp.MustCompile("^" + regexp.QuoteMeta(pathParam.ReplaceAllString(p, "\x00")) + "$")
		re = regexp.MustCompile(strings.ReplaceAll(re.String(), "\x00", "[^/]+"))
		c.tpls = append(c.tpls, specTemplate{path: p, re: re, lit: !strings.Contains(p, "{")})
	}
	// Literal paths win over templates (/api/nodes/search before /api/nodes/{pubkey}).
	sort.SliceStable(c.tpls, func(i, j int) bool { return c.tpls[i].lit && !c.tpls[j].lit })
	return c
}

func (c *specChecker) check(t *testing.T, method, rawPath string, status int, body []byte) {
	t.Helper()
	if status != 200 {
		return
	}
	path, _, _ := strings.Cut(rawPath, "?")
	for _, tp := range c.tpls {
		if !tp.re.MatchString(path) {
			continue
		}
		s := responseSchema(c.doc, method, tp.path)
		if s == nil {
			return
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
		if err := s.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Fatalf("response does not match /api/spec %s %s: %v\nbody: %s", method, tp.path, err, trunc(body))
		}
		c.checked[method+" "+tp.path] = true
		return
	}
	if path == "/api/spec" || strings.HasPrefix(path, "/api/docs") {
		return // the documentation routes do not document themselves
	}
	t.Fatalf("%s %s matches no path of /api/spec", method, path)
}

// done fails for documented operations no live response was checked against.
func (c *specChecker) done(t *testing.T) {
	t.Helper()
	var missed []string
	for key := range routeResponses {
		if !c.checked[key] {
			missed = append(missed, key)
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("documented responses never checked against a live response: %v", missed)
	}
}
