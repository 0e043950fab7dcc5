package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/mailsync/mailsync/internal/access"
	"github.com/mailsync/mailsync/internal/store"
)

// httpError is an error with the status and message a client should get.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to an HTTP status and a message safe to show:
// the store's sentinels become 404 and 409, anything unexpected a 500
// whose details stay in the log.
func statusOf(err error) (int, string) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found"
	case errors.Is(err, access.ErrNotDecider):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, access.ErrAlreadyVisible), errors.Is(err, access.ErrWrongStatus):
		return http.StatusConflict, err.Error()
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, err.Error()
	}
	return http.StatusInternalServerError, "internal error"
}

// apiHandler answers an authenticated API request for member m.
type apiHandler func(w http.ResponseWriter, r *http.Request, m *store.Member) error

// api registers an API route; path is relative to /api/v1.
func (s *server) api(method, path string, h apiHandler) {
	pattern := method + " /api/v1" + path
	s.apiRoutes = append(s.apiRoutes, pattern)
	s.mux.Handle(pattern, s.bearer(h))
}

// bearer authenticates a request by its API token and runs h, or answers 401.
func (s *server) bearer(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		token = strings.TrimSpace(token)
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mailsync"`)
			writeJSONError(w, http.StatusUnauthorized, "missing API token: send Authorization: Bearer TOKEN")
			return
		}
		m, err := s.cfg.Store.MemberByToken(r.Context(), token)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.log.Error("api token lookup", "err", err)
				writeJSONError(w, http.StatusInternalServerError, "internal error")
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="mailsync", error="invalid_token"`)
			writeJSONError(w, http.StatusUnauthorized, "invalid API token")
			return
		}
		if err := h(w, r, m); err != nil {
			status, msg := statusOf(err)
			if status == http.StatusInternalServerError {
				s.log.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeJSONError(w, status, msg)
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// readJSON decodes a request body of at most 1 MiB into v; unknown fields
// and trailing data are errors, so typos do not pass silently.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "invalid JSON body: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "invalid JSON body: trailing data")
	}
	return nil
}

// paging reads ?limit (1..1000, default 50) and ?offset (≥ 0).
func paging(r *http.Request) (limit, offset int, err error) {
	limit, offset = 50, 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, 0, errorf(http.StatusBadRequest, "limit must be an integer from 1 to 1000")
		}
		limit = n
	}
	if v := r.URL.Query().Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, errorf(http.StatusBadRequest, "offset must be an integer ≥ 0")
		}
		offset = n
	}
	return limit, offset, nil
}
