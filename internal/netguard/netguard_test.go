package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		blocked bool
	}{
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // AWS, GCP, Azure metadata
		{"fd00:ec2::254", true},   // AWS metadata over IPv6
		{"100.100.100.200", true}, // Alibaba metadata
		{"fe80::1", true},
		{"fc00::1", true},
		{"::ffff:127.0.0.1", true}, // IPv4-mapped
		{"::ffff:169.254.169.254", true},
		{"64:ff9b::a9fe:a9fe", true}, // NAT64 of 169.254.169.254
		{"2002:7f00:1::1", true},     // 6to4 of 127.0.0.1
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"198.18.0.1", true},
		{"240.0.0.1", true},
		{"8.8.8.8", false},
		{"172.32.0.1", false},
		{"93.184.216.34", false},
		{"2606:4700:4700::1111", false},
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
	} {
		got := Reason(netip.MustParseAddr(tc.addr)) != ""
		if got != tc.blocked {
			t.Errorf("Reason(%s) blocked = %v, want %v", tc.addr, got, tc.blocked)
		}
	}
}

func TestCheckHost(t *testing.T) {
	ctx := context.Background()
	var g Guard
	for _, host := range []string{"localhost", "127.0.0.1", "[::1]", "169.254.169.254"} {
		err := g.CheckHost(ctx, host)
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("CheckHost(%s) = %v, want ErrForbidden", host, err)
		}
		if err != nil && !strings.Contains(err.Error(), "--allow-private-hosts") {
			t.Errorf("CheckHost(%s) error does not say how to allow it: %v", host, err)
		}
		if err := (Guard{AllowPrivate: true}).CheckHost(ctx, host); err != nil {
			t.Errorf("allowed CheckHost(%s) = %v", host, err)
		}
	}
	if err := g.CheckURL(ctx, "ftp://example.com/"); err == nil || errors.Is(err, ErrForbidden) {
		t.Errorf("CheckURL(ftp) = %v, want a scheme error", err)
	}
	if err := g.CheckURL(ctx, "http://127.0.0.1:8080/hook"); !errors.Is(err, ErrForbidden) {
		t.Errorf("CheckURL(loopback) = %v, want ErrForbidden", err)
	}
}

// TestDialChecksResolvedAddress dials a name, not an address: the refusal
// comes from the address the resolver returned at dial time, which is what
// defeats DNS rebinding.
func TestDialChecksResolvedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx := context.Background()
	for _, addr := range []string{"localhost:" + port, ln.Addr().String()} {
		if _, err := (Guard{}).DialContext(ctx, "tcp", addr); !errors.Is(err, ErrForbidden) {
			t.Errorf("guarded dial %s = %v, want ErrForbidden", addr, err)
		}
		if _, err := (Guard{}).Dialer(0).DialContext(ctx, "tcp", addr); !errors.Is(err, ErrForbidden) {
			t.Errorf("guarded Dialer %s = %v, want ErrForbidden", addr, err)
		}
		c, err := Guard{AllowPrivate: true}.DialContext(ctx, "tcp", addr)
		if err != nil {
			t.Errorf("allowed dial %s: %v", addr, err)
			continue
		}
		c.Close()
	}
}

func TestHTTPClient(t *testing.T) {
	target := "/"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, target, http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	if _, err := (Guard{}).Client(0).Get(srv.URL); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guarded GET loopback = %v, want ErrForbidden", err)
	}
	resp, err := Guard{AllowPrivate: true}.Client(0).Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatalf("allowed GET with redirect: %v", err)
	}
	resp.Body.Close()

	// Every redirect is checked: a public first hop (played here by an
	// unguarded transport) cannot bounce the client to metadata or loopback.
	for _, to := range []string{"http://169.254.169.254/latest/meta-data/", srv.URL + "/", "file:///etc/passwd"} {
		target = to
		c := Guard{}.Client(0)
		c.Transport = Guard{AllowPrivate: true}.Transport()
		_, err := c.Get(srv.URL + "/redirect")
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("redirect to %s = %v, want ErrForbidden", to, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "1": true, "true": true, "no": false} {
		g := FromEnv(func(string) string { return v })
		if g.AllowPrivate != want {
			t.Errorf("%s=%q: AllowPrivate = %v, want %v", EnvAllowPrivate, v, g.AllowPrivate, want)
		}
	}
}
