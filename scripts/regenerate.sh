#!/usr/bin/env bash
# Rebuild claude_client/generated from openapi.json with the pinned generator.
#
#   scripts/regenerate.sh               regenerate claude_client/generated in place (idempotent)
#   scripts/regenerate.sh --check       exit 1, listing differing files, if it is stale
#   scripts/regenerate.sh --url URL     fetch URL/openapi.json into openapi.json, print the
#                                       API change report, then regenerate
#
# Uses the project's .venv (make install); works offline apart from --url.
#
# Post-step (httpx2): openapi-python-client 0.29.1 emits imports of httpx; the SDK runs
# on httpx2 (same API, module renamed). scripts/httpx2_imports.py rewrites the
# generated imports and module references (httpx -> httpx2), then the generator's ruff
# post-hooks (generator-config.yaml) run again because a longer name can rewrap a line.
# Deterministic, so --check compares generator output + post-step with claude_client/generated.
# When the pinned generator emits httpx2 itself, drop the step and bump the pin.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${VENV:-$root/.venv}"
py="$venv/bin/python"
[ -x "$py" ] || { echo "regenerate.sh: $py not found; run 'make install' first" >&2; exit 2; }
# The generator's ruff post-hooks must be the pinned ruff from this venv.
export PATH="$venv/bin:$PATH"

mode=write
url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) mode=check ;;
    --url) url="${2:?--url needs a base URL}"; shift ;;
    --url=*) url="${1#--url=}" ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "regenerate.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

spec="$root/openapi.json"
# The generated package lives inside the SDK (import name claude_client.generated).
package=generated
target="claude_client/$package"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -n "$url" ]; then
  [ "$mode" = write ] || { echo "regenerate.sh: --url and --check do not combine" >&2; exit 2; }
  "$py" - "${url%/}/openapi.json" "$work/fetched.json" <<'PY'
import sys, httpx2
r = httpx2.get(sys.argv[1], timeout=30, follow_redirects=True)
r.raise_for_status()
r.json()  # must be JSON
open(sys.argv[2], "wb").write(r.content)
PY
  echo "API changes ($spec -> ${url%/}/openapi.json):"
  "$py" scripts/api_diff.py "$spec" "$work/fetched.json" || true
  cp "$work/fetched.json" "$spec"
fi

# Generate into a temp dir: normalise, generate, verify every operation is there.
"$py" scripts/normalize_openapi.py "$spec" > "$work/normalized.json"
(
  cd "$work"
  openapi-python-client generate --path "$work/normalized.json" --meta none \
    --config "$root/generator-config.yaml" --output-path "$work/$package" \
    --fail-on-warning >"$work/generator.log" 2>&1 \
    || { cat "$work/generator.log" >&2; exit 1; }
)
touch "$work/$package/py.typed"
# The httpx2 post-step (see the header); the ruff lines are generator-config.yaml's post_hooks.
"$py" scripts/httpx2_imports.py "$work/$package"
(
  cd "$work/$package"
  ruff check . --isolated --no-cache --fix-only --extend-select=I --quiet
  ruff format . --isolated --no-cache --quiet
)
"$py" scripts/normalize_openapi.py --check-generated "$work/$package" "$spec" >/dev/null

if [ "$mode" = check ]; then
  if diff -r -q -x __pycache__ "$work/$package" "$target" >"$work/diff.txt" 2>&1; then
    echo "$target is up to date with openapi.json"
    exit 0
  fi
  echo "$target is stale: it is not what the pinned generator makes from openapi.json." >&2
  sed -e "s#$work/##g" -e "s#$root/##g" "$work/diff.txt" | sed 's/^/  /' >&2
  echo "Run scripts/regenerate.sh (or make regenerate) and commit the result." >&2
  exit 1
fi

rm -rf "$target"
cp -r "$work/$package" "$target"
find "$target" -name __pycache__ -type d -prune -exec rm -rf {} +
echo "regenerated $target from openapi.json"
