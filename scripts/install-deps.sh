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

# The Electron binary cannot be downloaded everywhere; the tray's tests mock it.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
npm ci --no-audit --no-fund
