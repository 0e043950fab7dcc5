package web

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// safeTypes are the declared types served as they are; anything else
// (HTML, SVG, XML, scripts…) goes out as application/octet-stream. With
// nosniff and an attachment disposition a browser never renders a file in
// the app's origin, and the sandbox CSP covers one that it would.
var safeTypes = map[string]bool{
	"application/pdf": true, "application/zip": true, "application/gzip": true,
	"text/plain": true, "text/csv": true, "text/calendar": true, "message/rfc822": true,
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"application/msword": true, "application/vnd.ms-excel": true, "application/vnd.ms-powerpoint": true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         true,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": true,
	"audio/mpeg": true, "video/mp4": true,
}

// previewTypes are raster images the thread view shows inline. SVG is
// never one: it can carry scripts.
var previewTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// servedType is the Content-Type an attachment is served with.
func servedType(declared string) string {
	mt, _, err := mime.ParseMediaType(declared)
	if err != nil || !safeTypes[strings.ToLower(mt)] {
		return "application/octet-stream"
	}
	return strings.ToLower(mt)
}

// canPreview reports whether the thread view may show an attachment inline.
func canPreview(a visibility.AttachmentView) bool { return previewTypes[servedType(a.ContentType)] }

// contentDisposition names the file for the browser as RFC 6266 says,
// with a plain ASCII fallback: every byte the sender chose is escaped.
func contentDisposition(kind, filename string) string {
	if filename == "" {
		filename = "attachment"
	}
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' || r == ';' || r == '%' {
			return '_'
		}
		return r
	}, filename)
	return kind + `; filename="` + ascii + `"; filename*=UTF-8''` + url.PathEscape(filename)
}

// serveAttachment streams attachment {index} of message {id} to member m:
// 404 alike for an unknown message, an unknown index and a viewer below
// everything. inline asks for a preview, granted to raster images only.
func (s *server) serveAttachment(w http.ResponseWriter, r *http.Request, m *store.Member, inline bool) error {
	index, err := strconv.Atoi(r.PathValue("index"))
	if err != nil {
		return store.ErrNotFound
	}
	msg, err := s.cfg.Store.Message(r.Context(), m.WorkspaceID, r.PathValue("id"))
	if err != nil {
		return err
	}
	a, ok := visibility.Attachment(m.ID, msg, index)
	if !ok {
		return store.ErrNotFound
	}
	body, err := s.cfg.Store.OpenAttachment(r.Context(), msg.ID, index)
	if err != nil {
		return err
	}
	h := w.Header()
	kind := "attachment"
	if inline && canPreview(a) {
		kind = "inline"
	}
	h.Set("Content-Type", servedType(a.ContentType))
	h.Set("Content-Disposition", contentDisposition(kind, a.Filename))
	h.Set("Content-Length", strconv.Itoa(a.Size))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	if _, err := io.Copy(w, body); err != nil {
		s.log.Warn("attachment download cut", "message", msg.ID, "index", index, "err", err)
	}
	return nil
}

func (s *server) apiAttachment(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	return s.serveAttachment(w, r, m, false)
}

func (s *server) uiAttachment(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	return s.serveAttachment(w, r, sess.Member, r.URL.Query().Get("inline") == "1")
}
