#!/usr/bin/env bash
# Installs the e2e test clients (tests/e2e/clients/package.json) into
# $1/node_modules; does nothing when the pinned versions are already there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="$1"
mkdir -p "$dest"
if cmp -s "$here/package.json" "$dest/package.json" && [ -d "$dest/node_modules/openai" ] &&
   [ -d "$dest/node_modules/ollama" ] && [ -d "$dest/node_modules/@apidevtools/swagger-parser" ]; then
  exit 0
fi
cp "$here/package.json" "$dest/package.json"
cd "$dest"
npm install --no-audit --no-fund --loglevel=error
