package dbtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
)

// Cluster is a throwaway PostgreSQL server of the test's own, started with
// the Debian package's initdb and pg_ctl on a free port, so that a test can
// restart or stop it without touching the server other packages' tests
// share. It needs root (it runs PostgreSQL as the postgres user).
type Cluster struct {
	dir, bin string
	port     int
	cred     *syscall.Credential
}

// StartCluster starts a cluster, stopped and removed when the test ends.
// Without the postgresql package or root it skips the test, and fails it
// under CI.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	pg, err := user.Lookup("postgres")
	if len(bins) == 0 || err != nil || os.Getuid() != 0 {
		msg := "a PostgreSQL cluster of its own needs the postgresql package (initdb, pg_ctl) and root"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	sort.Slice(bins, func(i, j int) bool { return version(bins[i]) < version(bins[j]) })
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	dir, err := os.MkdirTemp("", "mailsync-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{dir: dir, bin: filepath.Dir(bins[len(bins)-1]), cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	t.Cleanup(func() {
		c.pgctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	if c.port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	if err := c.run("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Fatal(err)
	}
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off", c.port, dir)
	if err := c.pgctl("start", "-o", opts, "-l", filepath.Join(dir, "log")); err != nil {
		t.Fatal(err)
	}
	return c
}

// version orders /usr/lib/postgresql/N/bin paths by N.
func version(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(bin))))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// DSN is the address of the cluster's postgres database.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Restart stops the server as a crash would (immediate mode: every
// connection dropped, no checkpoint) and starts it again.
func (c *Cluster) Restart() error {
	return c.pgctl("restart", "-m", "immediate")
}

func (c *Cluster) pgctl(args ...string) error {
	return c.run("pg_ctl", append([]string{"-D", c.data(), "-w"}, args...)...)
}

// run runs one of PostgreSQL's programs as the postgres user. Its output
// goes to a file, not a pipe: the server pg_ctl starts inherits it and
// would hold a pipe open for as long as it runs.
func (c *Cluster) run(name string, args ...string) error {
	out, err := os.CreateTemp("", "mailsync-pg-out-")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if err := cmd.Run(); err != nil {
		text, _ := os.ReadFile(out.Name())
		return fmt.Errorf("%s %v: %w\n%s", name, args, err, text)
	}
	return nil
}
