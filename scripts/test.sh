#!/usr/bin/env bash
# Runs mailsync's whole test suite: unit tests, integration tests against a
# real Dovecot and real PostgreSQL (and SQLite), and browser tests in
# headless Chromium. It installs what is missing (Debian packages, as root)
# and starts PostgreSQL when it is not running; when it cannot, it says so.
#
#   scripts/test.sh            # everything
#   scripts/test.sh -run TestX ./internal/ingest   # extra args go to `go test`
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and test with the toolchain go.mod names (a patch release without
# the standard library's known vulnerabilities), fetched through the Go
# module proxy when it is not the local one.
toolchain=$(sed -n 's/^toolchain //p' go.mod)
if [[ -n $toolchain && ${GOTOOLCHAIN:-auto} != "$toolchain" ]]; then
  export GOTOOLCHAIN=$toolchain
fi

say() { printf 'test.sh: %s\n' "$*" >&2; }

need_packages=()
command -v dovecot >/dev/null || need_packages+=(dovecot-imapd)
[[ -x /usr/lib/dovecot/submission ]] || need_packages+=(dovecot-submissiond) # the SMTP submission tests' real MTA
command -v chromium >/dev/null || need_packages+=(chromium)
command -v pg_ctlcluster >/dev/null || need_packages+=(postgresql)

if ((${#need_packages[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing ${need_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
  else
    say "missing ${need_packages[*]}: install them (apt-get install ${need_packages[*]}); their tests will be skipped (or fail under CI=true)"
  fi
fi

# PostgreSQL on 127.0.0.1:5432 with trust auth, as the tests expect
# (MAILSYNC_TEST_POSTGRES overrides the address).
if [[ -z ${MAILSYNC_TEST_POSTGRES:-} ]] && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && [[ $(id -u) -eq 0 ]]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      say "allowing trust auth on 127.0.0.1 for the tests"
      sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || say "PostgreSQL is not reachable on 127.0.0.1:5432: its tests will be skipped (or fail under CI=true)"
fi

say "go vet"
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n $unformatted ]]; then
  say "gofmt would change:"; echo "$unformatted" >&2; exit 1
fi

say "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# govulncheck with the Go vulnerability database taken offline from the
# golang.org/x/vulndb module (its OSV files, indexed with its own indexdb):
# only the module proxy is reachable in CI. It fails on a vulnerable
# function the code calls. MAILSYNC_VULNDB_VERSION pins the database
# (default: the newest the proxy has).
if [[ ${MAILSYNC_SKIP_VULNCHECK:-} != 1 ]]; then
  vulndb_version=${MAILSYNC_VULNDB_VERSION:-$(go list -m -f '{{.Version}}' golang.org/x/vulndb@latest)}
  say "govulncheck (database golang.org/x/vulndb@$vulndb_version)"
  vulndb_src=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  vulndb=$(mktemp -d)
  trap 'rm -rf "$vulndb"' EXIT
  go run "golang.org/x/vulndb/cmd/indexdb@$vulndb_version" -vulns "$vulndb_src/data/osv" -out "$vulndb/db"
  go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 -db "file://$vulndb/db" ./...
fi

# Fuzz smoke: each target a few seconds beyond its committed seed corpus
# (testdata/fuzz); a crasher is written there and fails the run. The budget
# is a count of executions, sized per target to a few seconds here, not a
# duration: with -fuzztime as a duration, Go 1.26's fuzz coordinator can
# report its own deadline as a failure ("context deadline exceeded", no
# crasher: golang/go#75804, fixed in Go 1.27). MAILSYNC_FUZZTIME overrides
# every target's budget (a count such as 100000x, or a duration).
if [[ ${MAILSYNC_SKIP_FUZZ:-} != 1 ]]; then
  while read -r target pkg execs; do
    say "fuzz $target ($pkg)"
    go test -run '^$' -fuzz "^$target\$" -fuzztime "${MAILSYNC_FUZZTIME:-$execs}" "$pkg"
  done <<'TARGETS'
FuzzParse ./internal/mime 20000x
FuzzAddressList ./internal/mime 30000x
FuzzPersonName ./internal/policy 20000x
FuzzValidBlocklistEntry ./internal/policy 20000x
FuzzSanitizeHTML ./internal/web 3000x
FuzzParseCursor ./internal/gmailsync 20000x
FuzzParseCursor ./internal/graphsync 20000x
TARGETS
fi

say "go test"
# -p 2: the machine has 2 cores; the integration tests start their own
# Dovecot and databases, so packages may run side by side.
if (($#)); then
  go test -p 2 -timeout 20m "$@"
else
  go test -p 2 -timeout 20m ./...
fi
