#!/usr/bin/env bash
# Installs everything Kyso Agent and its tests need on Debian/Ubuntu: system packages
# (PKCS#11 modules and tools, PDF judges, Chromium, fonts, compilers) and npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  softhsm2 opensc opencryptoki        # PKCS#11: test tokens, tools, a real PIN lock-out
  poppler-utils qpdf openssl          # pdfsig, pdftoppm, pdftotext, qpdf --check, openssl cms
  mupdf-tools                         # mutool: judges changes after signing, renders appearances
  default-jdk-headless libpdfbox2-java libbcpkix-java  # PDFBox/BouncyCastle (BER) signatures
  chromium fonts-liberation           # browser tests; Times-metric font
  umockdev                            # simulated USB devices
  pcscd vsmartcard-vpcd libcacard-dev libnss3-tools pkg-config  # virtual smart cards over PC/SC
  build-essential python3 git         # native addons and the crashing test module
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# opencryptoki's software token is the real PIN lock-out of the tests. Root sets it up in the
# tests themselves; another user needs to be in group pkcs11 (the library checks it, the token
# store and its locks are group pkcs11) and a running pkcsslotd, which only root can start.
# npm test runs vitest under `sg pkcs11` when this session began before the user joined.
if [ "$(id -u)" -ne 0 ]; then
  user="$(id -un)"
  id -nG "$user" | grep -qw pkcs11 || $SUDO usermod -aG pkcs11 "$user"
  for dir in /var/lib/opencryptoki /var/lock/opencryptoki; do
    for token in "" swtok icsf tpm lite ccatok ep11tok; do
      $SUDO install -d -m 0770 -o root -g pkcs11 "$dir/$token"
    done
  done
  for token in swtok icsf lite ccatok ep11tok; do
    $SUDO install -d -m 0770 -o root -g pkcs11 "/var/lib/opencryptoki/$token/TOK_OBJ"
  done
  pgrep -x pkcsslotd >/dev/null || { $SUDO rm -f /var/run/pkcsslotd.pid; $SUDO /usr/sbin/pkcsslotd; }
fi

# npm packages: `npm ci` only when node_modules does not match package-lock.json (npm writes
# node_modules/.package-lock.json, the tree it installed, without the root's own entry), so
# running the demo again does not reinstall anything.
installed_matches_lock() {
  [ -f node_modules/.package-lock.json ] || return 1
  node -e '
    const fs = require("node:fs");
    const read = (file) => JSON.parse(fs.readFileSync(file, "utf8")).packages ?? {};
    const lock = read("package-lock.json");
    const installed = read("node_modules/.package-lock.json");
    const key = (p) => [p.version, p.integrity, p.link].join(" ");
    for (const [path, p] of Object.entries(lock)) {
      if (path === "") continue;
      const got = installed[path];
      // Optional packages for other platforms (esbuild, canvas binaries) are never installed.
      if (!got) { if (p.optional || p.devOptional) continue; process.exit(1); }
      if (key(got) !== key(p)) process.exit(1);
    }
    for (const path of Object.keys(installed)) if (!(path in lock)) process.exit(1);
'
}
if installed_matches_lock; then
  echo "npm packages: up to date with package-lock.json"
else
  # The Electron binary cannot be downloaded everywhere; the tray's tests mock it.
  export ELECTRON_SKIP_BINARY_DOWNLOAD=1
  npm ci --no-audit --no-fund
fi
