#!/usr/bin/env bash
# Fetches the official AsyncAPI 3.0.0 JSON Schema into .cache/asyncapi/, for the test that
# checks `seedsim asyncapi` against it (tests/unit/test_utility_blocks.py).
# Source: the npm package @asyncapi/specs (Apache-2.0), through npm's ordinary client; its
# schemas/3.0.0.json bundles every definition, so nothing else is needed at test time.
# .ci/run calls this before pytest; in CI the test fails when the file is missing.
set -euo pipefail
VERSION="${ASYNCAPI_SPECS_VERSION:-6.11.1}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DEST="$ROOT/.cache/asyncapi"

if [ -s "$DEST/3.0.0.json" ] && [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "npm is needed to fetch @asyncapi/specs" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "@asyncapi/specs@$VERSION" >/dev/null)
tar -xzf "$TMP/asyncapi-specs-$VERSION.tgz" -C "$TMP" package/schemas/3.0.0.json package/LICENSE
mkdir -p "$DEST"
cp "$TMP/package/schemas/3.0.0.json" "$DEST/3.0.0.json"
cp "$TMP/package/LICENSE" "$DEST/LICENSE"
echo "$VERSION" > "$DEST/VERSION"
echo "$DEST/3.0.0.json (@asyncapi/specs $VERSION)"
