#!/usr/bin/env bash
# Installs the official AsyncAPI parser (npm's @asyncapi/parser, Apache-2.0) into .cache/asyncapi-parser/,
# for the test that parses `seedsim asyncapi` with it (tests/unit/test_asyncapi.py, through
# tests/support/asyncapi_parse.cjs). The JSON Schema check (fetch_asyncapi_schema.sh) sees the shape of the
# document; the parser also resolves its references and reads every payload schema, as AsyncAPI tools do.
# .ci/run calls this before pytest; in CI the test fails when the parser (or node) is missing.
set -euo pipefail
VERSION="${ASYNCAPI_PARSER_VERSION:-3.6.6}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DEST="$ROOT/.cache/asyncapi-parser"

if [ -f "$DEST/node_modules/@asyncapi/parser/package.json" ] && [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "npm is needed to install @asyncapi/parser" >&2; exit 1; }

rm -rf "$DEST"
mkdir -p "$DEST"
echo '{"name": "seedsim-asyncapi-parser", "private": true}' > "$DEST/package.json"
npm install --silent --no-audit --no-fund --prefix "$DEST" "@asyncapi/parser@$VERSION" >/dev/null
echo "$VERSION" > "$DEST/VERSION"
echo "$DEST (@asyncapi/parser $VERSION)"
