package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Account statuses, as the contract names them.
const (
	StatusNotSynced  = "not_synced"
	StatusImporting  = "importing"
	StatusActive     = "active"
	StatusFailedAuth = "failed_auth"
	StatusFailed     = "failed"
	// StatusPaused is shown while an owner or an admin has paused the
	// mailbox's sync; the last sync's outcome is kept for the resume.
	StatusPaused = "paused"
)

// Account is a connected mailbox with its channel (settings and sync state).
type Account struct {
	ID          string
	WorkspaceID string
	MemberID    string
	MemberEmail string
	Provider    string
	Handle      string
	Aliases     []string
	Host        string
	Port        int
	Security    string
	Username    string
	Secret      string // sealed credentials
	SMTP        SMTP

	ChannelID       string
	Visibility      string
	AutoCreate      string
	ExcludeGroup    bool
	ExcludePersonal bool
	Folders         []string // picked folders; empty = default set
	Status          string   // StatusPaused while Paused
	Paused          bool
	LastError       string
	LastSyncedAt    time.Time

	Counts Counts
}

// SMTP is how an IMAP mailbox sends; zero fields take the defaults (see
// SMTP.Effective).
type SMTP struct {
	Host, Security, Username string
	Port                     int
	Secret                   string // sealed password; "" = the IMAP password
}

// EffectiveSMTP fills the defaults: the IMAP host, port 465 over TLS (587 for
// STARTTLS, 25 for none), the IMAP login.
func (a *Account) EffectiveSMTP() SMTP {
	s := a.SMTP
	if s.Host == "" {
		s.Host = a.Host
	}
	if s.Security == "" {
		s.Security = "tls"
	}
	if s.Port == 0 {
		s.Port = map[string]int{"tls": 465, "starttls": 587, "none": 25}[s.Security]
	}
	if s.Username == "" {
		s.Username = a.Username
	}
	if s.Secret == "" {
		s.Secret = a.Secret
	}
	return s
}

// SetSMTP changes an account's SMTP settings; nil fields stay as they are.
func (s *Store) SetSMTP(ctx context.Context, workspaceID, accountID string, host, security, username, secret *string, port *int) error {
	sets := map[string]any{}
	if host != nil {
		sets["smtp_host"] = *host
	}
	if security != nil {
		sets["smtp_security"] = *security
	}
	if username != nil {
		sets["smtp_username"] = *username
	}
	if secret != nil {
		sets["smtp_secret"] = *secret
	}
	if port != nil {
		sets["smtp_port"] = *port
	}
	for col, v := range sets {
		if _, err := s.DB.ExecContext(ctx, `UPDATE connected_accounts SET `+col+` = $1 WHERE workspace_id = $2 AND id = $3`,
			v, workspaceID, accountID); err != nil {
			return fmt.Errorf("set %s: %w", col, err)
		}
	}
	return nil
}

// Counts are the figures of a mailbox: messages listed on the server in
// synced folders, and what became of each.
type Counts struct {
	Listed   int `json:"listed"`
	Imported int `json:"imported"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`
}

// NewAccount is what AddAccount needs.
type NewAccount struct {
	WorkspaceID, MemberID         string
	Provider, Handle              string
	Aliases                       []string
	Host                          string
	Port                          int
	Security, Username, SecretEnc string
}

// AddAccount stores a connected account and its channel with default settings.
func (s *Store) AddAccount(ctx context.Context, in NewAccount) (*Account, error) {
	id, channelID := NewID(), NewID()
	handle := strings.ToLower(strings.TrimSpace(in.Handle))
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO connected_accounts
			(id, workspace_id, member_id, provider, handle, host, port, security, username, secret, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			id, in.WorkspaceID, in.MemberID, in.Provider, handle, in.Host, in.Port, in.Security, in.Username, in.SecretEnc, now())
		if isUniqueViolation(err) {
			return fmt.Errorf("account %s: %w", handle, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("add account: %w", err)
		}
		for _, a := range in.Aliases {
			a = strings.ToLower(strings.TrimSpace(a))
			if a == "" || a == handle {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_aliases (account_id, alias) VALUES ($1, $2)
				ON CONFLICT DO NOTHING`, id, a); err != nil {
				return fmt.Errorf("add alias: %w", err)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO channels (id, account_id, workspace_id) VALUES ($1, $2, $3)`,
			channelID, id, in.WorkspaceID)
		if err != nil {
			return fmt.Errorf("add channel: %w", err)
		}
		return emitData(ctx, tx, in.WorkspaceID, EventAccountStatus, map[string]any{"id": id, "status": StatusNotSynced,
			"previous": nil, "handle": handle, "provider": in.Provider})
	})
	if err != nil {
		return nil, err
	}
	return s.Account(ctx, in.WorkspaceID, id)
}

const accountSelect = `SELECT a.id, a.workspace_id, a.member_id, m.email, a.provider, a.handle, a.host, a.port,
	a.security, a.username, a.secret, a.smtp_host, a.smtp_port, a.smtp_security, a.smtp_username, a.smtp_secret, c.id, c.visibility, c.auto_create, c.exclude_group, c.exclude_personal,
	c.folders, c.status, c.paused, c.last_error, COALESCE(c.last_synced_at, 0), c.lease_until
	FROM connected_accounts a
	JOIN channels c ON c.account_id = a.id
	JOIN members m ON m.id = a.member_id`

func scanAccount(row interface{ Scan(...any) error }) (*Account, error) {
	a := &Account{}
	var folders string
	var synced, leaseUntil int64
	err := row.Scan(&a.ID, &a.WorkspaceID, &a.MemberID, &a.MemberEmail, &a.Provider, &a.Handle, &a.Host, &a.Port,
		&a.Security, &a.Username, &a.Secret, &a.SMTP.Host, &a.SMTP.Port, &a.SMTP.Security, &a.SMTP.Username, &a.SMTP.Secret, &a.ChannelID, &a.Visibility, &a.AutoCreate, &a.ExcludeGroup,
		&a.ExcludePersonal, &folders, &a.Status, &a.Paused, &a.LastError, &synced, &leaseUntil)
	if err != nil {
		return nil, err
	}
	a.Status = shownStatus(a.Status, a.Paused, leaseUntil)
	if folders != "" {
		a.Folders = strings.Split(folders, "\n")
	}
	a.LastSyncedAt = FromMillis(synced)
	return a, nil
}

// Account returns one account of a workspace, with aliases and counts.
func (s *Store) Account(ctx context.Context, workspaceID, id string) (*Account, error) {
	a, err := scanAccount(s.DB.QueryRowContext(ctx, accountSelect+` WHERE a.workspace_id = $1 AND a.id = $2`, workspaceID, id))
	if err != nil {
		return nil, notFound(err, "account "+id)
	}
	if err := s.fillAccounts(ctx, []*Account{a}); err != nil {
		return nil, err
	}
	return a, nil
}

// AccountByID returns an account whatever its workspace (for the sync
// worker, which receives only an id).
func (s *Store) AccountByID(ctx context.Context, id string) (*Account, error) {
	a, err := scanAccount(s.DB.QueryRowContext(ctx, accountSelect+` WHERE a.id = $1`, id))
	if err != nil {
		return nil, notFound(err, "account "+id)
	}
	if err := s.fillAccounts(ctx, []*Account{a}); err != nil {
		return nil, err
	}
	return a, nil
}

// AccountForSync returns an account as AccountByID does but without its
// counts, which the sync does not read: adding them up reads every item
// of the mailbox, 80 % of a no-op sync of 20,000 messages on SQLite
// (bench/README.md, "Incremental sync").
func (s *Store) AccountForSync(ctx context.Context, id string) (*Account, error) {
	a, err := scanAccount(s.DB.QueryRowContext(ctx, accountSelect+` WHERE a.id = $1`, id))
	if err != nil {
		return nil, notFound(err, "account "+id)
	}
	if a.Aliases, err = s.aliases(ctx, a.ID); err != nil {
		return nil, err
	}
	return a, nil
}

// Accounts lists a workspace's accounts ("" lists every workspace's).
func (s *Store) Accounts(ctx context.Context, workspaceID string) ([]*Account, error) {
	q, args := accountSelect+` ORDER BY a.created_at, a.id`, []any{}
	if workspaceID != "" {
		q, args = accountSelect+` WHERE a.workspace_id = $1 ORDER BY a.created_at, a.id`, []any{workspaceID}
	}
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	var out []*Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.fillAccounts(ctx, out)
}

func (s *Store) fillAccounts(ctx context.Context, accounts []*Account) error {
	for _, a := range accounts {
		aliases, err := s.aliases(ctx, a.ID)
		if err != nil {
			return err
		}
		a.Aliases = aliases
		if a.Counts, err = s.ChannelCounts(ctx, a.ChannelID); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) aliases(ctx context.Context, accountID string) ([]string, error) {
	return queryStrings(ctx, s.DB, "aliases", `SELECT alias FROM account_aliases WHERE account_id = $1 ORDER BY alias`, accountID)
}

// ChannelCounts adds up a channel's folders: listed on the server, and
// imported / skipped / failed among them.
func (s *Store) ChannelCounts(ctx context.Context, channelID string) (Counts, error) {
	var c Counts
	err := s.DB.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN listed > 0 THEN listed ELSE 0 END), 0)
		FROM folders WHERE channel_id = $1 AND selected`, channelID).Scan(&c.Listed)
	if err != nil {
		return c, fmt.Errorf("count listed: %w", err)
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT i.status, COUNT(*) FROM folder_items i
		JOIN folders f ON f.id = i.folder_id
		WHERE i.channel_id = $1 AND f.selected GROUP BY i.status`, channelID)
	if err != nil {
		return c, fmt.Errorf("count items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return c, err
		}
		switch status {
		case ItemImported:
			c.Imported = n
		case ItemSkipped:
			c.Skipped = n
		case ItemFailed:
			c.Failed = n
		}
	}
	return c, rows.Err()
}

// ChannelSettings are the per-mailbox settings a user may change; nil
// fields are left as they are.
type ChannelSettings struct {
	Visibility      *string
	AutoCreate      *string
	ExcludeGroup    *bool
	ExcludePersonal *bool
	Folders         *[]string
}

// UpdateChannelSettings changes an account's settings.
func (s *Store) UpdateChannelSettings(ctx context.Context, workspaceID, accountID string, in ChannelSettings) error {
	a, err := s.Account(ctx, workspaceID, accountID)
	if err != nil {
		return err
	}
	sets := []struct {
		col string
		val any
		ok  bool
	}{
		{"visibility", deref(in.Visibility), in.Visibility != nil},
		{"auto_create", deref(in.AutoCreate), in.AutoCreate != nil},
		{"exclude_group", derefBool(in.ExcludeGroup), in.ExcludeGroup != nil},
		{"exclude_personal", derefBool(in.ExcludePersonal), in.ExcludePersonal != nil},
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		for _, set := range sets {
			if !set.ok {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE channels SET `+set.col+` = $1 WHERE id = $2`, set.val, a.ChannelID); err != nil {
				return fmt.Errorf("update %s: %w", set.col, err)
			}
		}
		if in.ExcludeGroup != nil && *in.ExcludeGroup != a.ExcludeGroup {
			// The setting decides what is imported: past mail is re-decided.
			if err := markChannelRules(ctx, tx, a.ChannelID); err != nil {
				return err
			}
		}
		if in.Folders != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE channels SET folders = $1 WHERE id = $2`,
				strings.Join(*in.Folders, "\n"), a.ChannelID); err != nil {
				return fmt.Errorf("update folders: %w", err)
			}
		}
		return nil
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefBool(b *bool) bool { return b != nil && *b }

// SetAccountSecret replaces an account's sealed credentials (after the
// owner fixed a password) and clears an authentication failure.
func (s *Store) SetAccountSecret(ctx context.Context, accountID, secretEnc string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE connected_accounts SET secret = $1 WHERE id = $2`, secretEnc, accountID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE channels SET status = CASE WHEN last_synced_at IS NULL THEN $1 ELSE $2 END,
			last_error = '' WHERE account_id = $3 AND status = $4`, StatusNotSynced, StatusActive, accountID, StatusFailedAuth)
		return err
	})
}

// SetChannelStatus records a sync outcome; a change of status is an
// account.status event.
func (s *Store) SetChannelStatus(ctx context.Context, channelID, status, lastError string, synced bool) error {
	set := `UPDATE channels SET status = $1, last_error = $2`
	args := []any{status, lastError, channelID}
	if synced {
		set += `, last_synced_at = $4`
		args = append(args, now())
	}
	// The common case, a sync ending as the last one did, is one UPDATE:
	// no event to emit when the status does not change.
	res, err := s.DB.ExecContext(ctx, set+` WHERE id = $3 AND status = $1`, args...)
	if err != nil {
		return fmt.Errorf("set channel status: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		var old, ws, account string
		err := tx.QueryRowContext(ctx, `SELECT status, workspace_id, account_id FROM channels WHERE id = $1`, channelID).
			Scan(&old, &ws, &account)
		if err != nil {
			return notFound(err, "set channel status")
		}
		if _, err := tx.ExecContext(ctx, set+` WHERE id = $3`, args...); err != nil {
			return fmt.Errorf("set channel status: %w", err)
		}
		if old == status {
			return nil
		}
		return emitData(ctx, tx, ws, EventAccountStatus, map[string]any{"id": account, "status": status,
			"previous": old, "lastError": lastError})
	})
}

// SetPaused pauses or resumes an account's sync and records who did it in
// the audit log, in one transaction. Pausing an account already paused
// (or resuming one that runs) changes nothing and is not recorded; it
// reports whether the account changed.
func (s *Store) SetPaused(ctx context.Context, workspaceID, accountID string, paused bool, who Actor) (bool, error) {
	a, err := s.Account(ctx, workspaceID, accountID)
	if err != nil {
		return false, err
	}
	if a.Paused == paused {
		return false, nil
	}
	action := AuditAccountResume
	if paused {
		action = AuditAccountPause
	}
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE channels SET paused = $1 WHERE id = $2`, paused, a.ChannelID); err != nil {
			return fmt.Errorf("%s %s: %w", action, a.Handle, err)
		}
		return AuditTx(ctx, tx, workspaceID, who, action, a.ID, map[string]any{"handle": a.Handle, "owner": a.MemberEmail})
	})
	return err == nil, err
}

// AcquireLease takes the channel's sync lease for owner until the given
// time, unless another owner holds an unexpired one. It is how two
// processes (a worker and `sync --once`, or two workers) never sync the
// same mailbox at once.
func (s *Store) AcquireLease(ctx context.Context, channelID, owner string, until time.Time) (bool, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE channels SET lease_owner = $1, lease_until = $2
		WHERE id = $3 AND (lease_owner = '' OR lease_owner = $1 OR lease_until < $4)`,
		owner, until.UnixMilli(), channelID, now())
	if err != nil {
		return false, fmt.Errorf("acquire sync lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// LeaseHolder returns who holds the channel's sync lease ("" for nobody).
func (s *Store) LeaseHolder(ctx context.Context, channelID string) (string, error) {
	var owner string
	err := s.DB.QueryRowContext(ctx, `SELECT lease_owner FROM channels WHERE id = $1 AND lease_until >= $2`,
		channelID, now()).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return owner, err
}

// TakeOverLease moves the lease from a holder known to be dead to owner;
// it fails (false) if someone else took it meanwhile.
func (s *Store) TakeOverLease(ctx context.Context, channelID, dead, owner string, until time.Time) (bool, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE channels SET lease_owner = $1, lease_until = $2
		WHERE id = $3 AND lease_owner = $4`, owner, until.UnixMilli(), channelID, dead)
	if err != nil {
		return false, fmt.Errorf("take over sync lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseLease gives the lease back.
func (s *Store) ReleaseLease(ctx context.Context, channelID, owner string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE channels SET lease_owner = '', lease_until = 0
		WHERE id = $1 AND lease_owner = $2`, channelID, owner)
	return err
}

// DeleteAccount removes an account and what only it brought: messages no
// other mailbox holds. Contacts it created stay.
func (s *Store) DeleteAccount(ctx context.Context, workspaceID, accountID string) error {
	a, err := s.Account(ctx, workspaceID, accountID)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM connected_accounts WHERE id = $1`, a.ID); err != nil {
			return fmt.Errorf("delete account: %w", err)
		}
		if err := emitData(ctx, tx, workspaceID, EventAccountStatus, map[string]any{"id": a.ID, "status": "removed",
			"previous": a.Status, "handle": a.Handle, "provider": a.Provider}); err != nil {
			return err
		}
		return deleteOrphanMessages(ctx, tx, workspaceID)
	})
}

// MailboxesByStatus counts the channels of every workspace by status.
func (s *Store) MailboxesByStatus(ctx context.Context) (map[string]int, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT status, paused, lease_until FROM channels`)
	if err != nil {
		return nil, fmt.Errorf("count mailboxes: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var status string
		var paused bool
		var leaseUntil int64
		if err := rows.Scan(&status, &paused, &leaseUntil); err != nil {
			return nil, err
		}
		out[shownStatus(status, paused, leaseUntil)]++
	}
	return out, rows.Err()
}

// UpdateAccountSecret replaces an account's sealed credentials and
// nothing else: an OAuth provider rotated its refresh token mid-sync.
func (s *Store) UpdateAccountSecret(ctx context.Context, accountID, secretEnc string) error {
	if _, err := s.DB.ExecContext(ctx, `UPDATE connected_accounts SET secret = $1 WHERE id = $2`, secretEnc, accountID); err != nil {
		return fmt.Errorf("store account secret: %w", err)
	}
	return nil
}

// AccountByHandle returns a workspace's account of a provider and
// address, or ErrNotFound.
func (s *Store) AccountByHandle(ctx context.Context, workspaceID, provider, handle string) (*Account, error) {
	a, err := scanAccount(s.DB.QueryRowContext(ctx, accountSelect+` WHERE a.workspace_id = $1 AND a.provider = $2 AND a.handle = $3`,
		workspaceID, provider, strings.ToLower(strings.TrimSpace(handle))))
	if err != nil {
		return nil, notFound(err, "account "+handle)
	}
	if err := s.fillAccounts(ctx, []*Account{a}); err != nil {
		return nil, err
	}
	return a, nil
}
