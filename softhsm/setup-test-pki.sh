#!/usr/bin/env bash
# Creates the Kyso TEST PKI on SoftHSM2 tokens in DIR (its own softhsm2.conf, never the
# system token store). Idempotent: a complete PKI in DIR is kept; a partial one is rebuilt.
# Usage: softhsm/setup-test-pki.sh DIR
set -euo pipefail
dir=${1:?usage: setup-test-pki.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

module=""
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
  /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so \
  /opt/homebrew/lib/softhsm/libsofthsm2.so; do
  if [ -f "$candidate" ]; then module=$candidate; break; fi
done
[ -n "$module" ] || { echo "SoftHSM2 not found: install the softhsm2 package" >&2; exit 1; }

# Bump when the PKI's contents change so existing directories are rebuilt.
# 2: the issuing CA certificate is stored on every token.
pki_version=2
if [ -f "$dir/pki.json" ] && [ "$(cat "$dir/.complete" 2>/dev/null)" = "$pki_version" ]; then
  echo "test PKI ready in $dir"
  exit 0
fi

rm -rf "$dir/tokens" "$dir/pki.json" "$dir/.complete"
mkdir -p "$dir/tokens"
cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = true
CONF
export SOFTHSM2_CONF="$dir/softhsm2.conf"

# Labels, PINs and SO PINs of the tokens, from the one list in tokens.ts.
node --import tsx -e '
  const { testTokens } = await import(process.argv[1]);
  for (const t of testTokens) console.log([t.label, t.pin, t.soPin].join("\t"));
' "$here/tokens.ts" | while IFS=$'\t' read -r label pin so_pin; do
  softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >/dev/null
done

node --import tsx "$here/make-test-pki.ts" "$dir" "$module"
echo "$pki_version" > "$dir/.complete"
echo "test PKI ready in $dir"
