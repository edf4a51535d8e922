#!/usr/bin/env bash
# Runs the tests (vitest). A user scripts/install-deps.sh added to group pkcs11 after this login
# session began does not have the group yet: vitest then runs under `sg pkcs11`, so the
# opencryptoki PIN lock-out tests run instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] && ! id -nG | grep -qw pkcs11 &&
  id -nG "$(id -un)" | grep -qw pkcs11 && command -v sg >/dev/null; then
  exec sg pkcs11 -c "npx vitest run $(printf '%q ' "$@")"
fi
exec npx vitest run "$@"
