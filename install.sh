#!/usr/bin/env bash
# Makes Pombo ready to run on a fresh Debian/Ubuntu VM (or this checkout): Bun, dependencies,
# data directory, geo-prefix table, web UI bundle. Idempotent and non-interactive.
#   ./install.sh              install into this checkout
#   ./install.sh --systemd    also write and enable a systemd unit (when systemd is present)
#   ./install.sh --browser    also install Debian's chromium (for the UI tests)
#   ./install.sh --binary     also build dist/pombo (one executable, see scripts/build.ts), install it as
#                             $BIN_DIR/pombo (default /usr/local/bin) and write a systemd unit running
#                             `pombo serve` here (same .env and data directory); enabled when systemd runs.
#                             --binary=FILE installs a binary built elsewhere instead of building one.
#                             BIN_DIR and UNIT_DIR (default /etc/systemd/system) move what it writes.
set -euo pipefail
CALLER_DIR="$PWD"
cd "$(dirname "$0")"
say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

SYSTEMD=0; BROWSER=0; BINARY=""
for arg in "$@"; do
  case "$arg" in
    --systemd) SYSTEMD=1 ;;
    --browser) BROWSER=1 ;;
    --binary) BINARY=build ;;
    --binary=*) BINARY="${arg#--binary=}"; case "$BINARY" in /*) ;; *) BINARY="$CALLER_DIR/$BINARY" ;; esac
                [ -f "$BINARY" ] || die "--binary: no file $BINARY" ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) die "unknown option $arg" ;;
  esac
done

apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ ! -f /tmp/.pombo-apt-updated ]; then $sudo apt-get update -qq && touch /tmp/.pombo-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! command -v bun >/dev/null; then
  if ! command -v npm >/dev/null; then say "installing npm from Debian"; apt_install npm; fi
  say "installing Bun from the npm registry"
  npm install -g bun >/dev/null 2>&1 || die "npm install -g bun failed"
  command -v bun >/dev/null || die "bun is not on PATH after install"
fi
say "Bun $(bun --version)"

say "installing dependencies (bun install --frozen-lockfile)"
bun install --frozen-lockfile >/dev/null || die "bun install failed"

DATA_DIR="${DATA_DIR:-$(grep -s '^DATA_DIR=' .env | cut -d= -f2- || true)}"
DATA_DIR="${DATA_DIR:-./data}"
mkdir -p "$DATA_DIR"
say "data directory $DATA_DIR"

if [ -f scripts/build-geo.ts ]; then
  say "building the geo-prefix table"
  DATA_DIR="$DATA_DIR" bun scripts/build-geo.ts || die "geo-prefix table build failed"
fi
# The binary carries its own UI bundle: web/dist is for running from source.
if [ -z "$BINARY" ] && [ -f scripts/build-web.ts ]; then
  say "bundling the web UI"
  bun scripts/build-web.ts || die "web UI build failed"
fi

if [ "$BROWSER" = 1 ] && ! command -v chromium >/dev/null; then
  say "installing chromium from Debian"
  apt_install chromium
fi

EXEC_START="$(command -v bun) run start"
if [ -n "$BINARY" ]; then
  BIN_DIR="${BIN_DIR:-/usr/local/bin}"
  if [ "$BINARY" = build ]; then
    say "building the single binary dist/pombo"
    bun scripts/build.ts || die "binary build failed"
    BINARY=dist/pombo
  fi
  mkdir -p "$BIN_DIR"
  # Copy then rename: replacing a running executable in place fails (text file busy).
  install -m 0755 "$BINARY" "$BIN_DIR/.pombo.new" && mv -f "$BIN_DIR/.pombo.new" "$BIN_DIR/pombo"
  say "installed $BIN_DIR/pombo"
  EXEC_START="$BIN_DIR/pombo serve"
fi

systemd_running() { command -v systemctl >/dev/null && [ -d /run/systemd/system ]; }
if [ "$SYSTEMD" = 1 ] || [ -n "$BINARY" ]; then
  [ "$SYSTEMD" = 0 ] || systemd_running || die "--systemd: systemd is not running here"
  UNIT_DIR="${UNIT_DIR:-/etc/systemd/system}"
  mkdir -p "$UNIT_DIR"
  unit="$UNIT_DIR/pombo.service"
  cat > "$unit" <<UNIT
[Unit]
Description=Pombo SMS campaigns
After=network.target

[Service]
WorkingDirectory=$(pwd)
Environment=DATA_DIR=$(cd "$DATA_DIR" && pwd)
EnvironmentFile=-$(pwd)/.env
ExecStart=$EXEC_START
Restart=on-failure
KillSignal=SIGTERM
TimeoutStopSec=30
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
UNIT
  if ! systemd_running; then
    say "systemd unit written to $unit (systemd is not running here: not enabled)"
  elif [ -n "$BINARY" ]; then
    # Restart, so that a re-run after an upgrade serves the new binary.
    systemctl daemon-reload && systemctl enable pombo >/dev/null && systemctl restart pombo
    say "systemd unit $unit enabled, pombo (re)started"
  else
    systemctl daemon-reload && systemctl enable --now pombo >/dev/null
    say "systemd unit $unit enabled"
  fi
fi

if [ -n "$BINARY" ]; then
  say "ready: create a user with  pombo user add --email you@example.com --password '…' --company 'Your Co'   (run it here: same .env / DATA_DIR)"
  say "then start with            systemctl start pombo   (or: pombo serve)"
else
  say "ready: create a user with  bun run pombo user add --email you@example.com --password '…' --company 'Your Co'"
  say "then start with            bun run start"
fi
