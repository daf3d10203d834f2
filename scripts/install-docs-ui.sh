#!/usr/bin/env bash
# Installs Swagger UI's files for the /docs page: swagger-ui-dist (pinned in
# scripts/docs-ui/package.json) from npm into NPM_DIR, then the files the
# page uses into OUT_DIR (docs-ui/ beside the binary, where inferd looks by
# default). Does nothing when the pinned version is already there.
#
#   scripts/install-docs-ui.sh OUT_DIR NPM_DIR
#
# Without npm or the registry it warns and exits 0: inferd builds and runs,
# and /docs answers 503 saying the page is not installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
npm_dir="$2"
files=(swagger-ui.css swagger-ui-bundle.js favicon-32x32.png favicon-16x16.png LICENSE NOTICE)

if cmp -s "$here/docs-ui/package.json" "$out/package.json"; then
  exit 0
fi
warn() {
  echo "install-docs-ui: WARNING: $*; /docs will answer 503 until it is installed" >&2
  exit 0
}
command -v npm >/dev/null 2>&1 || warn "npm not found (scripts/install-deps.sh installs it)"
mkdir -p "$npm_dir"
cp "$here/docs-ui/package.json" "$npm_dir/package.json"
(cd "$npm_dir" && npm install --no-audit --no-fund --loglevel=error) ||
  warn "npm install swagger-ui-dist failed"
src="$npm_dir/node_modules/swagger-ui-dist"
mkdir -p "$out"
for f in "${files[@]}"; do
  [ -f "$src/$f" ] || warn "swagger-ui-dist has no $f"
  cp "$src/$f" "$out/$f"
done
# Last, so an interrupted copy is redone by the next build.
cp "$here/docs-ui/package.json" "$out/package.json"
echo "install-docs-ui: swagger-ui-dist $(node -p "require('$src/package.json').version" 2>/dev/null || echo '?') in $out"
