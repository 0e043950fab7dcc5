package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/mailsync/mailsync/internal/accounts"
	"github.com/mailsync/mailsync/internal/preview"
	"github.com/mailsync/mailsync/internal/store"
)

// previewIMAP previews a mailbox the member is about to connect: what its
// newest messages would import, skip and create. Nothing is stored.
func (s *server) previewIMAP(ctx context.Context, m *store.Member, in accounts.IMAP, limit int) (*preview.Result, error) {
	if err := in.Normalize(); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	a := &store.Account{WorkspaceID: m.WorkspaceID, MemberID: m.ID, Provider: "imap", Handle: in.Handle, Aliases: in.Aliases,
		Host: in.Host, Port: in.Port, Security: in.Security, Username: in.Username}
	res, err := preview.ForAccount(ctx, s.cfg.Store, s.cfg.Connect, a, in.Password, limit)
	var loginErr *accounts.LoginError
	if errors.As(err, &loginErr) {
		return nil, errorf(http.StatusUnprocessableEntity, "%s", capitalize(loginErr.Msg))
	}
	return res, err
}

// apiPreviewAccount is POST /api/v1/accounts/preview: the body of POST
// /accounts, plus limit.
func (s *server) apiPreviewAccount(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	var in struct {
		newAccountJSON
		Limit int `json:"limit"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Provider != "" && in.Provider != "imap" {
		return errorf(http.StatusBadRequest, "provider %q cannot be previewed yet: use imap", in.Provider)
	}
	if in.Limit < 0 || in.Limit > 5000 {
		return errorf(http.StatusBadRequest, "limit must be from 1 to 5000 (default %d)", preview.DefaultLimit)
	}
	res, err := s.previewIMAP(r.Context(), m, accounts.IMAP{Host: in.Host, Port: in.Port, Security: in.Security,
		Username: in.Username, Password: in.Password, Handle: in.Handle, Aliases: in.Aliases}, in.Limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
