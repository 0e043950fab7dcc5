package imapsync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// ErrNoIdle means the server does not support IDLE: poll instead.
var ErrNoIdle = fmt.Errorf("server does not support IDLE: %w", errors.ErrUnsupported)

// Idle watches folder until ctx is done, calling changed (from Idle's own
// goroutine) when messages arrive or are expunged. It re-issues IDLE every
// Config.IdleRefresh. It returns ctx.Err() once ctx is done, or the error
// that broke the session.
func (m *Mailbox) Idle(ctx context.Context, folder string, changed func()) error {
	caps := m.c.Caps()
	if !caps.Has(imap.CapIdle) && !caps.Has(imap.CapIMAP4rev2) {
		return fmt.Errorf("idle on %s: %w", folder, ErrNoIdle)
	}
	stop := m.guard(ctx)
	_, err := m.c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if !stop() {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("idle on %s: examine: %w", folder, err)
	}

	select { // forget what happened before
	case <-m.wake:
	default:
	}
	m.idling.Store(true)
	defer m.idling.Store(false)
	// A server may stay silent for the whole IDLE period.
	m.conn.timeout.Store(int64(m.cfg.IdleRefresh + m.cfg.ReadTimeout))
	defer m.conn.timeout.Store(int64(m.cfg.ReadTimeout))
	for {
		done, err := m.idleOnce(ctx, changed)
		if err != nil {
			return fmt.Errorf("idle on %s: %w", folder, err)
		}
		if done {
			return ctx.Err()
		}
	}
}

// idleOnce runs one IDLE command until ctx is done (done is true) or the
// refresh period has passed.
func (m *Mailbox) idleOnce(ctx context.Context, changed func()) (done bool, err error) {
	cmd, err := m.c.Idle()
	if err != nil {
		return false, err
	}
	refresh := time.NewTimer(m.cfg.IdleRefresh)
	defer refresh.Stop()
	for {
		select {
		case <-m.wake:
			changed()
		case <-refresh.C:
			return false, m.endIdle(cmd)
		case <-ctx.Done():
			return true, m.endIdle(cmd)
		case <-m.c.Closed():
			return false, errors.New("connection closed")
		}
	}
}

// endIdle sends DONE and waits for the server to end IDLE, dropping the
// connection if it does not answer in time.
func (m *Mailbox) endIdle(cmd *imapclient.IdleCommand) error {
	timer := time.AfterFunc(idleStopTimeout, func() { m.c.Close() })
	defer timer.Stop()
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("end IDLE: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("end IDLE: %w", err)
	}
	return nil
}
