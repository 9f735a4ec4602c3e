package server

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"meter-sync/store/bolt"
)

// documented reports whether a route belongs in openapi.json: the routes
// that answer machines (the API, health, metrics), not the pages for
// people nor the document itself.
func documented(r Route) bool { return isAPI(r.Path) && r.Path != "/openapi.json" }

type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components"`
}

func loadOpenAPI(t *testing.T) (openAPIDoc, map[string]any) {
	t.Helper()
	s, _ := newTestServer(t)
	rec := get(t, signedIn(t, s, "tech"), "/openapi.json")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc openAPIDoc
	var raw map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	return doc, raw
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPIPath writes an echo pattern as an OpenAPI path: /a/:id → /a/{id}.
func openAPIPath(p string) string { return echoParam.ReplaceAllString(p, "{$1}") }

func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	s, _ := newTestServer(t)
	registered := map[string]bool{}
	for _, r := range s.Routes() {
		if !documented(r) {
			if _, ok := doc.Paths[openAPIPath(r.Path)]; ok {
				t.Errorf("page %s is in openapi.json", r.Path)
			}
			continue
		}
		registered[r.Method+" "+openAPIPath(r.Path)] = true
		op, ok := doc.Paths[openAPIPath(r.Path)][strings.ToLower(r.Method)]
		if !ok {
			t.Errorf("route %s %s is not in openapi.json", r.Method, r.Path)
			continue
		}
		// The document's security must say what the route table says: open
		// routes have none, the others the global bearer token or cookie.
		var o struct {
			Security  *[]map[string][]string `json:"security"`
			Responses map[string]any         `json:"responses"`
		}
		if err := json.Unmarshal(op, &o); err != nil {
			t.Fatal(err)
		}
		open := o.Security != nil && len(*o.Security) == 0
		if open != r.Public {
			t.Errorf("%s %s: public %v in the route table, open %v in openapi.json", r.Method, r.Path, r.Public, open)
		}
		for _, code := range []string{"400", "401", "403"} {
			if _, ok := o.Responses[code]; !ok && !r.Public {
				t.Errorf("%s %s needs credentials and does not document %s", r.Method, r.Path, code)
			}
		}
	}
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	for path, item := range doc.Paths {
		for key := range item {
			if !slices.Contains(methods, key) {
				continue
			}
			if !registered[strings.ToUpper(key)+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not registered", strings.ToUpper(key), path)
			}
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	_, raw := loadOpenAPI(t)
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := resolve(raw, ref); err != nil {
					t.Errorf("%s: %v", at, err)
				}
			}
			for k, c := range v {
				walk(c, at+"/"+k)
			}
		case []any:
			for i, c := range v {
				walk(c, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(raw, "#")
}

// resolve follows a local JSON pointer such as #/components/schemas/Route.
func resolve(doc map[string]any, ref string) (map[string]any, error) {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %s does not resolve", ref)
		}
		cur = m[part]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %s does not resolve", ref)
	}
	return m, nil
}

// TestOpenAPIDescribesResponses checks real responses against the schemas
// the document gives for their operation and status.
func TestOpenAPIDescribesResponses(t *testing.T) {
	_, raw := loadOpenAPI(t)
	s, _ := newTestServer(t)
	closed, err := bolt.Open(filepath.Join(t.TempDir(), "closed.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	broken := New(Options{Store: closed, AdminToken: testToken}) // every read fails
	admin, reader, anyone := signedIn(t, s, "admin"), signedIn(t, s, "reader"), s.Handler()
	tests := []struct {
		h            http.Handler
		method, path string // path as documented
		target       string
		status       int
	}{
		{anyone, "get", "/healthz", "/healthz", 200},
		{broken.Handler(), "get", "/healthz", "/healthz", 503},
		{admin, "get", "/api/v1/readers", "/api/v1/readers", 200},
		{asCLI(broken), "get", "/api/v1/readers", "/api/v1/readers", 500},
		{anyone, "get", "/api/v1/readers", "/api/v1/readers", 401},
		{reader, "get", "/api/v1/readers", "/api/v1/readers", 403},
		{withBearer(anyone, "mst_0123456789ab_junk"), "get", "/api/v1/readers", "/api/v1/readers", 401},
		{admin, "get", "/api/v1/readers/{id}/route", "/api/v1/readers/R1/route?cycle=2026-03", 200},
		{reader, "get", "/api/v1/readers/{id}/route", "/api/v1/readers/R1/route?cycle=2026-03", 200},
		{reader, "get", "/api/v1/readers/{id}/route", "/api/v1/readers/R2/route?cycle=2026-03", 403},
		{admin, "get", "/api/v1/readers/{id}/route", "/api/v1/readers/R3/route", 200},
		{admin, "get", "/api/v1/readers/{id}/route", "/api/v1/readers/R1/route?cycle=13", 400},
		{admin, "get", "/api/v1/readers/{id}/route", "/api/v1/readers/R9/route", 404},
		{admin, "get", "/api/v1/customers/{id}", "/api/v1/customers/3300000001", 200},
		{admin, "get", "/api/v1/customers/{id}", "/api/v1/customers/3300000004", 200},
		{admin, "get", "/api/v1/customers/{id}", "/api/v1/customers/x", 404},
		{reader, "get", "/api/v1/customers/{id}", "/api/v1/customers/3300000001", 403},
		{anyone, "post", "/api/v1/admin/backup", "/api/v1/admin/backup", 401},
		{signedIn(t, s, "clerk"), "post", "/api/v1/admin/backup", "/api/v1/admin/backup", 403},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s %d", tc.method, tc.target, tc.status), func(t *testing.T) {
			rec := do(t, tc.h, strings.ToUpper(tc.method), tc.target, nil)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			schema := responseSchema(t, raw, tc.path, tc.method, tc.status)
			var body any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			for _, err := range validate(raw, schema, body, "$") {
				t.Error(err)
			}
		})
	}
}

// TestValidateRejects keeps the schema check honest: a body that breaks the
// Customer schema in each way the check knows is refused.
func TestValidateRejects(t *testing.T) {
	_, raw := loadOpenAPI(t)
	schema := map[string]any{"$ref": "#/components/schemas/Customer"}
	var good map[string]any
	s, _ := newTestServer(t)
	if err := json.Unmarshal(get(t, signedIn(t, s, "admin"), "/api/v1/customers/3300000001").Body.Bytes(), &good); err != nil {
		t.Fatal(err)
	}
	if errs := validate(raw, schema, good, "$"); len(errs) != 0 {
		t.Fatalf("a real customer fails: %v", errs)
	}
	tests := []struct {
		name   string
		change func(m map[string]any)
	}{
		{"missing field", func(m map[string]any) { delete(m, "seq_no") }},
		{"extra field", func(m map[string]any) { m["phone"] = "13800000000" }},
		{"wrong type", func(m map[string]any) { m["dial_digits"] = "5" }},
		{"not an integer", func(m map[string]any) { m["dial_digits"] = 5.5 }},
		{"out of enum", func(m map[string]any) { m["month_group"] = "odd" }},
		{"pattern", func(m map[string]any) { m["seq_no"] = "12a" }},
		{"minimum", func(m map[string]any) { m["base_reading"] = -1.0 }},
	}
	for _, tc := range tests {
		bad := maps.Clone(good)
		tc.change(bad)
		if errs := validate(raw, schema, bad, "$"); len(errs) == 0 {
			t.Errorf("%s: accepted %v", tc.name, bad)
		}
	}
}

func responseSchema(t *testing.T, raw map[string]any, path, method string, status int) map[string]any {
	t.Helper()
	paths, _ := raw["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	op, _ := item[method].(map[string]any)
	if op == nil {
		t.Fatalf("openapi.json has no %s %s", method, path)
	}
	resp, ok := op["responses"].(map[string]any)[fmt.Sprint(status)].(map[string]any)
	if !ok {
		t.Fatalf("openapi.json does not document status %d of %s %s", status, method, path)
	}
	if ref, ok := resp["$ref"].(string); ok {
		var err error
		if resp, err = resolve(raw, ref); err != nil {
			t.Fatal(err)
		}
	}
	content, _ := resp["content"].(map[string]any)["application/json"].(map[string]any)
	schema, ok := content["schema"].(map[string]any)
	if !ok {
		t.Fatalf("status %d of %s %s has no application/json schema", status, method, path)
	}
	return schema
}

// validate checks v against the subset of JSON Schema that openapi.json
// uses: $ref, type, properties, required, additionalProperties: false,
// items, enum, const, pattern, minimum, maximum.
func validate(doc, schema map[string]any, v any, at string) []error {
	if ref, ok := schema["$ref"].(string); ok {
		target, err := resolve(doc, ref)
		if err != nil {
			return []error{err}
		}
		return validate(doc, target, v, at)
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(at+": "+format, args...)) }
	if want, ok := schema["type"].(string); ok && jsonType(v, want) != want {
		fail("%v is not of type %s", v, want)
		return errs
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		fail("%v is not one of %v", v, enum)
	}
	if c, ok := schema["const"]; ok && c != v {
		fail("%v is not %v", v, c)
	}
	if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(fmt.Sprint(v)) {
		fail("%q does not match %s", v, p)
	}
	if n, ok := v.(float64); ok {
		if min, ok := schema["minimum"].(float64); ok && n < min {
			fail("%v is below %v", n, min)
		}
		if max, ok := schema["maximum"].(float64); ok && n > max {
			fail("%v is above %v", n, max)
		}
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		required, _ := schema["required"].([]any)
		for _, r := range required {
			if _, ok := v[r.(string)]; !ok {
				fail("required property %s is missing", r)
			}
		}
		for k, pv := range v {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false {
					fail("property %s is not in the schema", k)
				}
				continue
			}
			errs = append(errs, validate(doc, ps, pv, at+"."+k)...)
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, item := range v {
				errs = append(errs, validate(doc, items, item, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return errs
}

func jsonType(v any, want string) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if want == "number" || v != float64(int64(v)) {
			return "number"
		}
		return "integer"
	}
	return fmt.Sprintf("%T", v)
}
