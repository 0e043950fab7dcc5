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

say() { printf 'test.sh: %s\n' "$*" >&2; }

need_packages=()
command -v dovecot >/dev/null || need_packages+=(dovecot-imapd)
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

say "go test"
# -p 2: the machine has 2 cores; the integration tests start their own
# Dovecot and databases, so packages may run side by side.
if (($#)); then
  go test -p 2 -timeout 20m "$@"
else
  go test -p 2 -timeout 20m ./...
fi
