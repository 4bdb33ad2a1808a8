#!/usr/bin/env bash
# Makes Pombo ready to run on a fresh Debian/Ubuntu VM (or this checkout): Bun, dependencies,
# data directory, geo-prefix table, web UI bundle. Idempotent and non-interactive.
#   ./install.sh              install into this checkout
#   ./install.sh --systemd    also write and enable a systemd unit (when systemd is present)
#   ./install.sh --browser    also install Debian's chromium (for the UI tests)
set -euo pipefail
cd "$(dirname "$0")"
say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

SYSTEMD=0; BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --systemd) SYSTEMD=1 ;;
    --browser) BROWSER=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
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
if [ -f scripts/build-web.ts ]; then
  say "bundling the web UI"
  bun scripts/build-web.ts || die "web UI build failed"
fi

if [ "$BROWSER" = 1 ] && ! command -v chromium >/dev/null; then
  say "installing chromium from Debian"
  apt_install chromium
fi

if [ "$SYSTEMD" = 1 ]; then
  command -v systemctl >/dev/null && [ -d /run/systemd/system ] || die "--systemd: systemd is not running here"
  unit=/etc/systemd/system/pombo.service
  cat > "$unit" <<UNIT
[Unit]
Description=Pombo SMS campaigns
After=network.target

[Service]
WorkingDirectory=$(pwd)
EnvironmentFile=-$(pwd)/.env
ExecStart=$(command -v bun) run start
Restart=on-failure
KillSignal=SIGTERM
TimeoutStopSec=30
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload && systemctl enable --now pombo >/dev/null
  say "systemd unit $unit enabled"
fi

say "ready: create a user with  bun run pombo user add --email you@example.com --password '…' --company 'Your Co'"
say "then start with            bun run start"
