#!/usr/bin/env bash
# Quick start: installs what Kyso Agent needs, creates a demo SoftHSM2 token with TEST
# certificates (in .kyso-demo/, never the system token store) and starts the agent with the
# demo document-system page. Stop it with Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The agent runs as built JavaScript (dist/): build when missing or older than a source.
if [ ! -f dist/kyso.js ] || [ -n "$(find agent tray demo assets package.json -newer dist/kyso.js -type f -print -quit)" ]; then
  npm run --silent build
fi
bash softhsm/setup-test-pki.sh .kyso-demo/pki
export SOFTHSM2_CONF="$PWD/.kyso-demo/pki/softhsm2.conf"
export KYSO_CONFIG_DIR="$PWD/.kyso-demo/config"
module=$(node -e 'console.log(require("./.kyso-demo/pki/pki.json").modulePath)')
# The demo trusts its own TEST root, so verification and "kyso doctor" check chains.
if [ ! -f "$KYSO_CONFIG_DIR/config.json" ]; then
  mkdir -p "$KYSO_CONFIG_DIR"
  printf '{ "trust": { "anchors": ["%s"] } }\n' "$PWD/.kyso-demo/pki/root-ca.pem" > "$KYSO_CONFIG_DIR/config.json"
fi
echo
echo "Demo tokens (TEST only) and their PINs:"
node -e 'for (const t of require("./.kyso-demo/pki/pki.json").tokens) console.log(`  ${t.label.padEnd(22)} PIN ${t.pin}`)'
echo
exec node bin/kyso.js start --module "$module" --demo
