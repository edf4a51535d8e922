#!/usr/bin/env bash
# Creates the field layouts (softhsm/field-layouts.ts) in a SoftHSM2 token store in DIR with
# its own softhsm2.conf: tokens laid out the way vendor tools and imports leave real tokens.
# Always rebuilt (about 3 s). Usage: softhsm/setup-field-layouts.sh DIR
set -euo pipefail
dir=${1:?usage: setup-field-layouts.sh DIR}
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

rm -rf "$dir/tokens" "$dir/field.json"
mkdir -p "$dir/tokens"
cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = true
CONF
export SOFTHSM2_CONF="$dir/softhsm2.conf"

node --import tsx -e '
  const { fieldTokens } = await import(process.argv[1]);
  for (const t of fieldTokens) console.log([t.label, t.pin, t.soPin].join("\t"));
' "$here/field-layouts.ts" | while IFS=$'\t' read -r label pin so_pin; do
  softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >/dev/null
done

node --import tsx "$here/make-field-layouts.ts" "$dir" "$module"
