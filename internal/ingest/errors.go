package ingest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

// Classes of sync errors, for metrics and for the words an account shows.
const (
	ClassAuth     = "auth"     // credentials refused
	ClassNetwork  = "network"  // server unreachable, connection cut
	ClassTimeout  = "timeout"  // server or database too slow
	ClassTLS      = "tls"      // certificate or handshake
	ClassDatabase = "database" // mailsync's own database
	ClassBusy     = "busy"     // another process holds the mailbox
	ClassOther    = "other"
)

// ErrorClass sorts a sync error into one of the classes above.
func ErrorClass(err error) string {
	var (
		netErr  net.Error
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
		hostErr x509.HostnameError
		caErr   x509.UnknownAuthorityError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, provider.ErrAuth):
		return ClassAuth
	case errors.Is(err, ErrBusy), errors.Is(err, store.ErrLeaseLost):
		return ClassBusy
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &caErr), errors.As(err, &recErr):
		return ClassTLS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	case isDatabase(err):
		return ClassDatabase
	case errors.As(err, &opErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		return ClassNetwork
	}
	return ClassOther
}

// isDatabase recognizes the errors of PostgreSQL (SQLSTATE codes, a
// connection that failed) and SQLite by their text: both drivers' types
// stay out of this package.
func isDatabase(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SQLSTATE") || strings.Contains(s, "SQLITE_") || strings.Contains(s, "sqlite:") ||
		strings.Contains(s, "failed to connect to `") || strings.Contains(s, "database is locked")
}

// describe says in words why a sync failed and what happens next.
func describe(err error) string {
	detail := err.Error()
	switch ErrorClass(err) {
	case ClassNetwork:
		return "Could not reach the mail server (" + detail + "). mailsync tries again on its own; if this lasts, check the host and port."
	case ClassTimeout:
		return "The mail server did not answer in time (" + detail + "). mailsync tries again on its own."
	case ClassTLS:
		return "The secure connection to the mail server failed (" + detail + "). Check the security setting (tls or starttls) and the server's certificate."
	case ClassDatabase:
		return "mailsync could not write to its database (" + detail + "). It tries again on its own; if this lasts, check the database server and its disk."
	}
	return "The sync failed: " + detail + ". mailsync tries again on its own."
}
