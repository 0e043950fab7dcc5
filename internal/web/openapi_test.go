package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes keeps the document true: every registered API
// route is documented, every documented operation is registered, and every
// schema reference resolves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	srv := newServer(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != 200 {
		t.Fatalf("openapi.json: %d", rec.Code)
	}
	raw := rec.Body.String()
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" /api/v1"+path] = true
		}
	}
	registered := map[string]bool{}
	for _, r := range srv.apiRoutes {
		registered[r] = true
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	var extra []string
	for r := range documented {
		if !registered[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(extra)
	for _, r := range extra {
		t.Errorf("openapi.json documents %s, which is not a route", r)
	}
	for _, ref := range strings.Split(raw, `"$ref": "#/components/schemas/`)[1:] {
		name := ref[:strings.IndexByte(ref, '"')]
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("dangling $ref %s", name)
		}
	}
	for _, want := range []string{"GET /api/v1/people", "GET /api/v1/people/{id}", "GET /api/v1/companies",
		"GET /api/v1/companies/{id}", "GET /api/v1/people/{id}/threads", "GET /api/v1/companies/{id}/threads",
		"GET /api/v1/threads/{id}", "POST /api/v1/accounts", "PATCH /api/v1/accounts/{id}", "GET /api/v1/messages/{id}"} {
		if !registered[want] {
			t.Errorf("required route %s missing", want)
		}
	}
}
