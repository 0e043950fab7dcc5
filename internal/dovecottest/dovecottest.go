// Package dovecottest runs a throwaway Dovecot IMAP server on 127.0.0.1 for
// tests and benchmarks: passwd-file users, Maildir storage and bulk loading
// through doveadm, all inside one temporary directory. It is test tooling
// only: production code must never import it.
package dovecottest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Password is the password of every user.
const Password = "pass"

const (
	startAttempts = 5               // port collisions are retried with new ports
	startTimeout  = 5 * time.Second // how long one start waits for the listener
	stopTimeout   = 5 * time.Second // how long Stop waits for the master to exit
)

// Options configures a Server.
type Options struct {
	// Users are the accounts to create; default user1, user2, user3.
	Users []string
	// TLS also listens for implicit TLS (imaps) and allows STARTTLS, with a
	// self-signed certificate for 127.0.0.1 and localhost.
	TLS bool
	// Connections raises Dovecot's limits so that it holds that many IMAP
	// sessions at once (one imap process each); 0 keeps its defaults
	// (about 1,000 processes). For benchmarks of many watched mailboxes.
	Connections int
	// Password replaces Password for every user (tests that look for the
	// password in logs need one that no other text contains).
	Password string
	// SubmissionRelay, when set, also runs Dovecot's SMTP submission
	// service (RFC 6409, AUTH against the same users) relaying what it
	// accepts to this port on 127.0.0.1. Needs dovecot-submissiond.
	SubmissionRelay int
}

// Server is one running Dovecot instance.
type Server struct {
	dir     string
	conf    string
	port    int
	tlsPort int
	subPort int // submission; 0 when not running
	relay   int
	users   []string
	conns   int
	// password is every user's.
	password string
	certs    *x509.CertPool
	account  account

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the master process has exited
}

// Start runs New and registers Stop with t.Cleanup. When Dovecot is not
// installed it skips the test, or fails it when CI=true.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if _, err := exec.LookPath("dovecot"); err != nil {
		msg := "dovecot not installed (apt-get install dovecot-imapd): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := os.Stat("/usr/lib/dovecot/submission"); err != nil && opts.SubmissionRelay > 0 {
		msg := "dovecot's submission service not installed (apt-get install dovecot-submissiond): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop dovecot: %v", err)
		}
	})
	return s
}

// New starts a Dovecot in a new temporary directory. Call Stop when done.
func New(opts Options) (*Server, error) {
	for _, bin := range []string{"dovecot", "doveadm"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("dovecot not installed (apt-get install dovecot-imapd): %w", err)
		}
	}
	users := opts.Users
	if len(users) == 0 {
		users = []string{"user1", "user2", "user3"}
	}
	acct, err := runAccount()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dovecottest-")
	if err != nil {
		return nil, fmt.Errorf("dovecot dir: %w", err)
	}
	s := &Server{dir: dir, conf: filepath.Join(dir, "dovecot.conf"), users: users, conns: opts.Connections, account: acct,
		password: cmp.Or(opts.Password, Password), relay: opts.SubmissionRelay}
	if err := s.prepare(opts); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		err = s.start(opts.TLS)
		if err == nil {
			return s, nil
		}
		if attempt == startAttempts || !errors.Is(err, errAddrInUse) {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// prepare writes the passwd file, the certificate and the directory tree.
func (s *Server) prepare(opts Options) error {
	for _, d := range []string{"run", "state", "home", "import"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			return fmt.Errorf("dovecot dir: %w", err)
		}
	}
	var passwd strings.Builder
	for _, u := range s.users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s::::::\n", u, s.password)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "passwd"), []byte(passwd.String()), 0o644); err != nil {
		return fmt.Errorf("dovecot passwd: %w", err)
	}
	if opts.TLS {
		pool, err := writeSelfSigned(filepath.Join(s.dir, "cert.pem"), filepath.Join(s.dir, "key.pem"))
		if err != nil {
			return err
		}
		s.certs = pool
	}
	if err := os.Chmod(s.dir, 0o755); err != nil {
		return fmt.Errorf("dovecot dir: %w", err)
	}
	return s.account.chownTree(s.dir)
}

var errAddrInUse = errors.New("address already in use")

// start picks free ports, writes the config and runs the master in the
// foreground until its IMAP port accepts connections.
func (s *Server) start(withTLS bool) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	tlsPort := 0
	if withTLS {
		if tlsPort, err = freePort(); err != nil {
			return err
		}
	}
	s.port, s.tlsPort = port, tlsPort
	if s.relay > 0 {
		if s.subPort, err = freePort(); err != nil {
			return err
		}
	}
	if err := os.WriteFile(s.conf, []byte(s.config(withTLS)), 0o644); err != nil {
		return fmt.Errorf("dovecot config: %w", err)
	}
	logPath := filepath.Join(s.dir, "dovecot.log")
	os.Remove(logPath)

	var stderr bytes.Buffer
	cmd := exec.Command("dovecot", "-F", "-c", s.conf)
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: s.account.cred,
		Setpgid:    true,            // Stop kills the whole group
		Pdeathsig:  syscall.SIGTERM, // do not outlive a crashed test binary
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dovecot: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()

	err = waitListening(done, port, tlsPort, s.subPort)
	if err == nil {
		// The master is fully up once it has written its pid file.
		err = waitFile(done, filepath.Join(s.dir, "run", "master.pid"))
	}
	if err != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		logged, _ := os.ReadFile(logPath)
		out := stderr.String() + string(logged)
		if strings.Contains(out, "Address already in use") {
			return fmt.Errorf("dovecot on port %d: %w", port, errAddrInUse)
		}
		return fmt.Errorf("dovecot on port %d: %w\n%s", port, err, out)
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return nil
}

// waitListening polls the ports until they accept or the master exits.
func waitListening(exited <-chan struct{}, ports ...int) error {
	deadline := time.Now().Add(startTimeout)
	for _, p := range ports {
		if p == 0 {
			continue
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		for {
			select {
			case <-exited:
				return errors.New("dovecot exited during start")
			default:
			}
			c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not listening after %v", addr, startTimeout)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// waitFile polls until path exists or the master exits.
func waitFile(exited <-chan struct{}, path string) error {
	deadline := time.Now().Add(startTimeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("dovecot exited during start")
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s after %v", path, startTimeout)
		}
	}
}

// freePort asks the kernel for a free port. Another process may take it
// before Dovecot binds it: New retries on collision.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Host is the address Dovecot listens on.
func (s *Server) Host() string { return "127.0.0.1" }

// Port is the plain IMAP port (STARTTLS is offered when Options.TLS is set).
func (s *Server) Port() int { return s.port }

// SubmissionPort is the SMTP submission port (0 without SubmissionRelay).
func (s *Server) SubmissionPort() int { return s.subPort }

// TLSPort is the implicit-TLS IMAP port, 0 without Options.TLS.
func (s *Server) TLSPort() int { return s.tlsPort }

// Password returns the password of user.
func (s *Server) Password(user string) string { return s.password }

// Dir is the server's directory; its log is Dir()/dovecot.log.
func (s *Server) Dir() string { return s.dir }

// CACertPool trusts the server's self-signed certificate (nil without
// Options.TLS).
func (s *Server) CACertPool() *x509.CertPool { return s.certs }

// Stop stops Dovecot and deletes its directory. It is safe to call twice.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	var errs []error
	if err := terminate(cmd.Process, done); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove dovecot dir: %w", err))
	}
	return errors.Join(errs...)
}

// terminate kills the master and every process it started: they share
// its process group. A graceful shutdown would buy nothing, since the
// directory goes away next, and Dovecot may take seconds to finish one.
func terminate(p *os.Process, exited <-chan struct{}) error {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill dovecot: %w", err)
	}
	select {
	case <-exited:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("dovecot did not stop within %v", stopTimeout)
	}
}

// account is the unprivileged account Dovecot and its mail files run as:
// the calling user, or nobody when running as root.
type account struct {
	name, group string
	uid, gid    int
	cred        *syscall.Credential // nil when no switch is needed
}

func runAccount() (account, error) {
	u, err := user.Current()
	if err != nil {
		return account{}, fmt.Errorf("current user: %w", err)
	}
	if u.Uid == "0" {
		if u, err = user.Lookup("nobody"); err != nil {
			return account{}, fmt.Errorf("dovecot runs as nobody when root: %w", err)
		}
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return account{}, fmt.Errorf("group of %s: %w", u.Username, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	a := account{name: u.Username, group: g.Name, uid: uid, gid: gid}
	if os.Getuid() == 0 {
		a.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	}
	return a, nil
}

// chownTree hands dir and everything below to the account (root only).
func (a account) chownTree(dir string) error {
	if a.cred == nil {
		return nil
	}
	err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, a.uid, a.gid)
	})
	if err != nil {
		return fmt.Errorf("chown %s: %w", dir, err)
	}
	return nil
}

func (s *Server) config(withTLS bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# generated by dovecottest
protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = %[2]s
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = %[3]s
default_internal_group = %[4]s
default_login_user = %[3]s
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
mailbox_idle_check_interval = 1 secs
mail_max_userip_connections = 200
shutdown_clients = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%n %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[5]d gid=%[6]d home=%[1]s/home/%%n
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
  mailbox Archive {
    special_use = \Archive
    auto = subscribe
  }
  mailbox Junk {
    special_use = \Junk
    auto = subscribe
  }
}
service anvil {
  chroot =
  # no growing delay after failed logins (tests fail logins on purpose)
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  user = %[3]s
}
service auth-worker {
  user = %[3]s
}
service stats {
  chroot =
}
`, s.dir, filepath.Base(s.dir), s.account.name, s.account.group, s.account.uid, s.account.gid)
	fmt.Fprintf(&b, `service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %d
    ssl = yes
  }
}
`, s.port, s.tlsPort)
	if s.relay > 0 {
		fmt.Fprintf(&b, `protocols = $protocols submission
hostname = localhost
submission_relay_host = 127.0.0.1
submission_relay_port = %d
submission_relay_trusted = yes
service submission-login {
  chroot =
  inet_listener submission {
    address = 127.0.0.1
    port = %d
  }
}
`, s.relay, s.subPort)
	}
	if s.conns > 0 {
		fmt.Fprintf(&b, "default_process_limit = %[1]d\ndefault_client_limit = %[1]d\nservice imap {\n  process_limit = %[1]d\n}\n", s.conns+100)
	}
	if withTLS {
		fmt.Fprintf(&b, "ssl = yes\nssl_cert = <%[1]s/cert.pem\nssl_key = <%[1]s/key.pem\nssl_min_protocol = TLSv1.2\n", s.dir)
	} else {
		b.WriteString("ssl = no\n")
	}
	return b.String()
}

// doveadm runs one doveadm command against this server's configuration.
func (s *Server) doveadm(ctx context.Context, args ...string) (string, error) {
	args = append([]string{"-c", s.conf}, args...)
	cmd := exec.CommandContext(ctx, "doveadm", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.account.cred}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("doveadm %s: %w: %s", strings.Join(args[2:], " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
