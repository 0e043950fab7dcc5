package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFS embed.FS

func staticFiles() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// page is what every template receives.
type page struct {
	Title   string
	Nav     string // highlighted main menu entry
	Sub     string // highlighted settings entry
	Session *store.Session
	Pending int // access requests the member may decide, for the menu's badge
	Data    any
}

// pages holds one parsed template set per page: the layout plus the page.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"when":    when,
	"ptr":     func(s *string) string { return deref(s) },
	"lower":   strings.ToLower,
	"bytes":   humanBytes,
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// pauseArgs hands the Pause/Resume buttons their account and the form token.
	"pauseArgs": func(a accountRow, csrf string) map[string]any { return map[string]any{"Account": a, "CSRF": csrf} },
}

// humanBytes writes a file size as people read it.
func humanBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+1023)>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// when formats an RFC 3339 time for a list: the time today, the day this
// year, the full date otherwise.
func when(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil || t.IsZero() {
		return ""
	}
	now := time.Now().UTC()
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("Jan 2")
	}
	return t.Format("Jan 2, 2006")
}

func loadPages() *pages {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		p.byName[name] = template.Must(template.New("layout.html").Funcs(funcs).
			ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", n))
	}
	return p
}

// render writes a page; it renders into a buffer first so that a
// template error becomes a clean 500, not half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if p.Session == nil {
		p.Session = sessionOf(r)
	}
	if m := p.Session; m != nil {
		n, err := s.cfg.Store.PendingAccessCount(r.Context(), m.Member.WorkspaceID, m.Member.ID)
		if err != nil {
			s.log.Warn("count access requests", "err", err)
		}
		p.Pending = n
	}
	t := s.pages.byName[name]
	var buf bytes.Buffer
	if t == nil {
		s.log.Error("render: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.Execute(&buf, p); err != nil {
		s.log.Error("render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
