// Package netguard guards outbound connections to hosts users type (IMAP
// and SMTP servers, webhook URLs): it refuses loopback, link-local, private
// and cloud-metadata addresses after DNS resolution, at the moment of
// dialling, and bounds every connection with timeouts. It knows nothing
// of mail or HTTP APIs beyond net/http's transport.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// EnvAllowPrivate is the environment variable that allows private hosts
// (value "1" or "true"); the command line's --allow-private-hosts does the
// same.
const EnvAllowPrivate = "MAILSYNC_ALLOW_PRIVATE_HOSTS"

// Timeouts of a guarded connection. A dial covers DNS and TCP; the HTTP
// client's limits cover the TLS handshake and waiting for a response's
// headers, so a server that accepts and then says nothing cannot hold a
// worker forever.
const (
	DialTimeout           = 15 * time.Second
	TLSHandshakeTimeout   = 10 * time.Second
	ResponseHeaderTimeout = 30 * time.Second
	maxRedirects          = 5
)

// ErrForbidden is wrapped by every refusal of an address.
var ErrForbidden = errors.New("address not allowed")

// Guard decides which addresses may be dialled. The zero value refuses
// every internal address; AllowPrivate lets all through (tests, the demo,
// self-hosted servers on a private network).
type Guard struct {
	AllowPrivate bool
}

// FromEnv returns the guard the operator configured through
// MAILSYNC_ALLOW_PRIVATE_HOSTS.
func FromEnv(getenv func(string) string) Guard {
	switch strings.ToLower(strings.TrimSpace(getenv(EnvAllowPrivate))) {
	case "1", "true", "yes":
		return Guard{AllowPrivate: true}
	}
	return Guard{}
}

// blocked lists the ranges netip's predicates do not name, with why.
var blocked = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address (cloud metadata on some providers)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local NAT64 address"},
}

// Reason says why ip may not be dialled, or "" when it may. Cloud
// metadata services live at link-local (169.254.169.254, fe80::a9fe:a9fe),
// unique-local (fd00:ec2::254) or carrier-grade NAT (100.100.100.200)
// addresses, all refused. Addresses embedding an IPv4 one (IPv4-mapped,
// NAT64, 6to4) are judged by the address they embed.
func Reason(ip netip.Addr) string {
	ip = ip.Unmap()
	if v4, ok := embeddedV4(ip); ok {
		if r := Reason(v4); r != "" {
			return r + " (inside " + ip.String() + ")"
		}
	}
	switch {
	case !ip.IsValid():
		return "not an address"
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address (where cloud metadata services answer)"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	for _, b := range blocked {
		if b.prefix.Contains(ip) {
			return b.why
		}
	}
	return ""
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// embeddedV4 returns the IPv4 address inside a NAT64 or 6to4 address.
func embeddedV4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// CheckAddr returns an error wrapping ErrForbidden when ip may not be
// dialled; host is the name the user typed, for the message.
func (g Guard) CheckAddr(host string, ip netip.Addr) error {
	if g.AllowPrivate {
		return nil
	}
	r := Reason(ip)
	if r == "" {
		return nil
	}
	what := ip.String()
	if host != "" && host != what {
		what = fmt.Sprintf("%s (%s)", host, ip)
	}
	return fmt.Errorf("%s is %s: %w: mailsync only connects to public addresses unless the operator sets %s=1 or --allow-private-hosts",
		what, r, ErrForbidden, EnvAllowPrivate)
}

// CheckHost resolves host and refuses it when any of its addresses may
// not be dialled: a clear error before connecting. It is advice only: the
// dial itself checks the address it connects to, so a name that resolves
// differently later (DNS rebinding) is still refused.
func (g Guard) CheckHost(ctx context.Context, host string) error {
	if g.AllowPrivate {
		return nil
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return g.CheckAddr("", ip)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("look up %s: %w", host, err)
	}
	for _, ip := range ips {
		if err := g.CheckAddr(host, ip); err != nil {
			return err
		}
	}
	return nil
}

// control runs after DNS resolution and before connect(2), with the very
// address about to be dialled.
func (g Guard) control(host string) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %s: %w: unparsable address %q", network, ErrForbidden, address)
		}
		return g.CheckAddr(host, ap.Addr())
	}
}

// Dialer returns a net.Dialer that refuses forbidden addresses, with the
// given timeout (0: DialTimeout).
func (g Guard) Dialer(timeout time.Duration) *net.Dialer {
	if timeout <= 0 {
		timeout = DialTimeout
	}
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !g.AllowPrivate {
		d.Control = g.control("")
	}
	return d
}

// DialContext dials address ("host:port") like net.Dialer.DialContext,
// refusing forbidden addresses and giving up after DialTimeout.
func (g Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d := g.Dialer(0)
	if !g.AllowPrivate {
		host, _, _ := net.SplitHostPort(address)
		d.Control = g.control(host)
	}
	return d.DialContext(ctx, network, address)
}

// Transport returns an HTTP transport that dials through the guard, with
// handshake and response-header timeouts. It ignores HTTP_PROXY: a proxy
// would dial the user's host out of the guard's sight.
func (g Guard) Transport() *http.Transport {
	return &http.Transport{
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   TLSHandshakeTimeout,
		ResponseHeaderTimeout: ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
	}
}

// Client returns an HTTP client over Transport whose whole exchange
// (redirects and body included) ends after timeout (0: one minute). Each
// redirect is checked before it is followed, and its connection is
// checked again when dialled.
func (g Guard) Client(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = time.Minute
	}
	return &http.Client{
		Transport:     g.Transport(),
		Timeout:       timeout,
		CheckRedirect: g.checkRedirect,
	}
}

func (g Guard) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect to %s: %w: only http and https", req.URL.Redacted(), ErrForbidden)
	}
	if err := g.CheckHost(req.Context(), req.URL.Hostname()); err != nil {
		return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), err)
	}
	return nil
}

// CheckURL checks a URL a user typed (a webhook's): http or https, and a
// host that resolves to public addresses only.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := parseURL(raw)
	if err != nil {
		return err
	}
	return g.CheckHost(ctx, u.Hostname())
}

func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: must start with https:// or http://", raw)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("URL %q has no host", raw)
	}
	return u, nil
}
