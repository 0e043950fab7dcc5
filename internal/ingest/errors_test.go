package ingest

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestErrorClass(t *testing.T) {
	tests := []struct {
		err   error
		class string
		words string // in the account's last error
	}{
		{fmt.Errorf("login: %w", provider.ErrAuth), ClassAuth, ""},
		{fmt.Errorf("connect: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), ClassNetwork, "Could not reach the mail server"},
		{fmt.Errorf("fetch: %w", io.ErrUnexpectedEOF), ClassNetwork, "Could not reach the mail server"},
		{fmt.Errorf("read: %w", &net.OpError{Op: "read", Err: timeoutErr{}}), ClassTimeout, "did not answer in time"},
		{fmt.Errorf("sync: %w", context.DeadlineExceeded), ClassTimeout, "did not answer in time"},
		{fmt.Errorf("handshake: %w", x509.UnknownAuthorityError{}), ClassTLS, "Check the security setting"},
		{errors.New("store batch: ERROR: could not extend file (SQLSTATE 53100)"), ClassDatabase, "could not write to its database"},
		{errors.New("store batch: database or disk is full (SQLITE_FULL)"), ClassDatabase, "could not write to its database"},
		{fmt.Errorf("account x: %w", ErrBusy), ClassBusy, ""},
		{fmt.Errorf("batch: %w", store.ErrLeaseLost), ClassBusy, ""},
		{errors.New("unexpected folder state"), ClassOther, "The sync failed: unexpected folder state"},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			if got := ErrorClass(tt.err); got != tt.class {
				t.Fatalf("class %q, want %q", got, tt.class)
			}
			if tt.words != "" && !strings.Contains(describe(tt.err), tt.words) {
				t.Fatalf("described as %q, want it to say %q", describe(tt.err), tt.words)
			}
		})
	}
}
