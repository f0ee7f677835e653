#!/usr/bin/env bash
# Idempotent set-up shared by `make run` and `make test`.
#   scripts/setup.sh          – what the platform needs to run
#   scripts/setup.sh --test   – plus what the tests need (redis-server, postgresql, chromium, test pips, the JS linter)
#   scripts/setup.sh --cluster – plus the servers of `make cluster` (PostgreSQL, Redis, nginx, coturn)
# A second run with nothing changed only checks stamps and hashes (seconds).
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
WITH_CLUSTER=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST=1 WITH_CLUSTER=1 ;;  # the reliability tests start the cluster
    --cluster) WITH_CLUSTER=1 ;;
    *) echo "usage: $0 [--test] [--cluster]" >&2; exit 2 ;;
  esac
done
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
VENV=.venv
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# 1. Debian packages (only the missing ones; needs root when something is missing).
APT_PACKAGES=(gettext libegl1 libgles2 janus janus-tools fonts-dejavu-core)  # janus-tools: janus-pp-rec converts lesson recordings
[ "$WITH_TEST" = 1 ] && APT_PACKAGES+=(redis-server postgresql chromium iproute2 util-linux espeak-ng)
[ "$WITH_CLUSTER" = 1 ] && APT_PACKAGES+=(postgresql redis-server nginx coturn iproute2 util-linux)
# Node.js runs the JavaScript linter; Debian's nodejs/npm only where no node is installed already.
[ "$WITH_TEST" = 1 ] && ! command -v node >/dev/null && APT_PACKAGES+=(nodejs npm)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Virtualenv with pinned requirements (re-installed only when a requirements file changes).
[ -x "$VENV/bin/python" ] || { step "python venv in $VENV"; "$PYTHON" -m venv "$VENV"; }
# A stamp names the hash of what was installed; the test set includes the run set.
run_stamp="$VENV/.installed-run-$(cat requirements.txt | sha256sum | cut -c1-16)"
test_stamp="$VENV/.installed-test-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)"
if [ "$WITH_TEST" = 1 ]; then REQ=requirements-dev.txt; stamp=$test_stamp; else REQ=requirements.txt; stamp=$run_stamp; fi
if [ ! -e "$stamp" ] && { [ "$WITH_TEST" = 1 ] || [ ! -e "$test_stamp" ]; }; then
  step "pip install -r $REQ"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
  # mediapipe drags in opencv-contrib-python, whose cv2 overwrites the headless build: reinstall it last.
  headless=$(grep -E '^opencv-python-headless==' requirements.txt)
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$headless"
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

# 2b. The JavaScript linter, pinned in package-lock.json (re-installed only when the lock file changes).
if [ "$WITH_TEST" = 1 ]; then
  js_stamp="node_modules/.installed-$(sha256sum < package-lock.json | cut -c1-16)"
  if [ ! -e "$js_stamp" ]; then
    step "npm ci (JavaScript linter)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    touch "$js_stamp"
  fi
fi

# 3. Model files (sha256-verified; a no-op when present and intact).
step "models"
"$VENV/bin/python" -m models fetch

# 4. Database and translations (the demo school only where it is asked for: `make run`, see the Makefile).
step "database and translations"
"$VENV/bin/python" manage.py migrate --noinput -v0
"$VENV/bin/python" manage.py compilemessages -v0 --ignore=.venv
