// Package webhooks delivers a workspace's event feed to the URLs its
// admins registered: signed POSTs, in order, at least once, with backoff.
// It reads the log that store writes and is never called from the sync path.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// Headers of a delivery.
const (
	SignatureHeader = "Mailsync-Signature"
	EventIDHeader   = "Mailsync-Event-Id"
)

// Defaults of a Dispatcher.
const (
	DefaultTimeout     = 10 * time.Second // a receiver that has not answered by then failed
	DefaultPoll        = time.Second
	DefaultFirstRetry  = 10 * time.Second
	DefaultMaxRetry    = time.Hour
	DefaultDisableTime = 72 * time.Hour // retried for three days, then disabled
)

// Sign returns the Mailsync-Signature value of body sent at t:
// t=UNIX_SECONDS,v1=HEX(HMAC-SHA256(secret, t + "." + body)).
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// NewSecret returns a signing secret for a new webhook.
func NewSecret() string { return "whsec_" + rand.Text() }

// CheckURL validates a receiver URL: http or https, and a host that does
// not resolve to an internal address unless the guard allows them.
func CheckURL(ctx context.Context, g netguard.Guard, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook URL %q: give an absolute http:// or https:// URL", raw)
	}
	if err := g.CheckURL(ctx, raw); err != nil {
		if errors.Is(err, netguard.ErrForbidden) {
			return fmt.Errorf("webhook URL %q: %w (an operator may allow internal hosts with --allow-private-hosts or %s=1)",
				raw, err, netguard.EnvAllowPrivate)
		}
		return fmt.Errorf("webhook URL %q: %w", raw, err)
	}
	return nil
}

// ValidTypes checks event type names.
func ValidTypes(types []string) error {
	for _, t := range types {
		if !slices.Contains(store.EventTypes, t) {
			return fmt.Errorf("unknown event type %q: one of %v", t, store.EventTypes)
		}
	}
	return nil
}

// Dispatcher delivers due webhooks until its context ends. Each webhook
// has a cursor in the database (the last event delivered): deliveries go
// out one after another from it, so they arrive in order, and a restart
// carries on from it.
type Dispatcher struct {
	Store *store.Store
	Box   *secrets.Box
	Guard netguard.Guard
	Log   *slog.Logger
	// Zero values take the defaults above.
	Timeout, Poll, FirstRetry, MaxRetry, DisableAfter time.Duration
	Now                                               func() time.Time

	client *http.Client
	owner  string
}

func (d *Dispatcher) init() {
	if d.Timeout == 0 {
		d.Timeout = DefaultTimeout
	}
	if d.Poll == 0 {
		d.Poll = DefaultPoll
	}
	if d.FirstRetry == 0 {
		d.FirstRetry = DefaultFirstRetry
	}
	if d.MaxRetry == 0 {
		d.MaxRetry = DefaultMaxRetry
	}
	if d.DisableAfter == 0 {
		d.DisableAfter = DefaultDisableTime
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.client = d.Guard.Client(d.Timeout)
	d.owner = store.NewSecret()[:16]
}

// Run polls for due webhooks and delivers them until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	d.init()
	t := time.NewTicker(d.Poll)
	defer t.Stop()
	for {
		if err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("webhook deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce delivers what is due now.
func (d *Dispatcher) RunOnce(ctx context.Context) error {
	if d.client == nil {
		d.init()
	}
	due, err := d.Store.DueWebhooks(ctx, d.Now())
	if err != nil {
		return err
	}
	for _, w := range due {
		if err := d.deliver(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// deliver sends a webhook's pending events in order, stopping at the
// first failure (which schedules a retry) or when the feed is drained.
func (d *Dispatcher) deliver(ctx context.Context, w *store.Webhook) error {
	ok, err := d.Store.LeaseWebhook(ctx, w.ID, d.owner, d.Now().Add(5*time.Minute))
	if err != nil || !ok {
		return err
	}
	defer d.Store.ReleaseWebhook(context.WithoutCancel(ctx), w.ID, d.owner)
	secret, err := d.Box.Open(w.SecretEnc)
	if err != nil {
		return fmt.Errorf("webhook %s: open secret: %w", w.ID, err)
	}
	for {
		evs, err := d.Store.Events(ctx, w.WorkspaceID, w.DeliveredSeq, 100)
		if err != nil || len(evs) == 0 {
			return err
		}
		for _, e := range evs {
			if w.Wants(e.Type) {
				if err := d.post(ctx, w, secret, e); err != nil {
					return d.failed(ctx, w, err)
				}
			}
			if err := d.Store.WebhookDelivered(ctx, w.ID, e.Seq); err != nil {
				return err
			}
			w.DeliveredSeq, w.Attempts, w.FailingSince = e.Seq, 0, nil
		}
	}
}

// post sends one event; any answer but 2xx within the timeout fails.
func (d *Dispatcher) post(ctx context.Context, w *store.Webhook, secret string, e *store.Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mailsync-webhooks/1")
	req.Header.Set(EventIDHeader, e.ID)
	req.Header.Set(SignatureHeader, Sign(secret, d.Now(), body))
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return nil
}

// failed schedules the next attempt with exponential backoff and jitter,
// or disables a webhook that has been failing for longer than DisableAfter.
func (d *Dispatcher) failed(ctx context.Context, w *store.Webhook, cause error) error {
	if ctx.Err() != nil {
		return nil // stopping: not the receiver's fault
	}
	now := d.Now()
	since := now
	if w.FailingSince != nil {
		since = *w.FailingSince
	}
	wait := d.FirstRetry << min(w.Attempts, 20)
	wait = min(wait, d.MaxRetry)
	wait += mrand.N(wait/5 + 1)
	reason := ""
	if now.Sub(since) >= d.DisableAfter {
		reason = fmt.Sprintf("disabled on %s after failing for %s: last error: %v",
			now.UTC().Format(time.RFC3339), now.Sub(since).Round(time.Minute), cause)
		d.Log.Warn("webhook disabled", "webhook", w.ID, "url", w.URL, "err", cause)
	} else {
		d.Log.Info("webhook delivery failed; will retry", "webhook", w.ID, "url", w.URL, "err", cause, "in", wait)
	}
	return d.Store.WebhookFailed(ctx, w.ID, cause.Error(), since, now.Add(wait), reason)
}

// Why says in words why a webhook is not delivering, or "" when it is.
func Why(w *store.Webhook) string {
	switch w.Status {
	case "disabled":
		return w.DisabledReason
	case "failing":
		return fmt.Sprintf("failing since %s (%d attempts, next %s): %s", w.FailingSince.UTC().Format("2006-01-02 15:04 UTC"),
			w.Attempts, w.NextAttempt.UTC().Format("15:04:05 UTC"), w.LastError)
	}
	return ""
}
