#!/usr/bin/env bash
# Run the test suite (pytest only) on other Python versions, each in its own venv.
#
#   scripts/test_pythons.sh 3.12 3.13        (make test-pythons PYTHONS="3.12 3.13")
#
# For each version X.Y: the interpreter is $PYTHONXY if set (e.g. PYTHON312=/usr/bin/python3.12),
# else `pyenv prefix X.Y`'s, else pythonX.Y on PATH (a pyenv shim counts only if it runs).
# It gets its own venv .venv-X.Y (created, and re-installed when pyproject.toml changes),
# with the project installed editable with the dev and testing extras, then runs pytest.
# Lint and mypy run once, on the main venv (make test).
#
# A version that is not found (and not named by $PYTHONXY) prints a loud "SKIPPED pythonX.Y: not found" line and the
# others still run: a machine without it is not red. Exit 1 if any suite failed.
# PYTEST_ARGS adds arguments to every pytest run (e.g. PYTEST_ARGS="-x tests/facade").
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ $# -gt 0 ] || set -- 3.11 3.12 3.13

is_version() {  # is_version PYTHON X.Y: PYTHON runs and is version X.Y
  "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$2'.split('.'))))" \
    >/dev/null 2>&1
}

find_python() {  # find_python X.Y: print the interpreter's path, or fail
  local version="$1" var="PYTHON${1//./}" candidate prefix
  if [ -n "${!var:-}" ]; then
    is_version "${!var}" "$version" && { echo "${!var}"; return 0; }
    return 1
  fi
  if command -v pyenv >/dev/null 2>&1 && prefix="$(pyenv prefix "$version" 2>/dev/null)"; then
    candidate="${prefix%%:*}/bin/python$version"
    is_version "$candidate" "$version" && { echo "$candidate"; return 0; }
  fi
  candidate="$(command -v "python$version" 2>/dev/null)" || return 1
  # A pyenv shim is on PATH even when it cannot run this version: ask the interpreter.
  is_version "$candidate" "$version" || return 1
  "$candidate" -c 'import sys; print(sys.executable)'
}

failed=() passed=() skipped=()
for version in "$@"; do
  override="PYTHON${version//./}"
  if ! python="$(find_python "$version")"; then
    if [ -n "${!override:-}" ]; then  # asked for explicitly: a configuration error
      echo "FAILED python$version: $override=${!override} is not a working Python $version"
      failed+=("$version")
      continue
    fi
    echo "=================================================================="
    echo "SKIPPED python$version: not found (set PYTHON${version//./}=/path/to/python$version)"
    echo "=================================================================="
    skipped+=("$version")
    continue
  fi
  venv=".venv-$version"
  echo "== python$version: $python ($venv)"
  if [ ! -f "$venv/.installed" ] || [ pyproject.toml -nt "$venv/.installed" ]; then
    { [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"; } &&
      "$venv/bin/python" -m pip install --quiet --upgrade pip &&
      "$venv/bin/python" -m pip install --quiet -e '.[dev,testing]' &&
      touch "$venv/.installed" ||
      { echo "FAILED python$version: could not install into $venv"; failed+=("$version"); continue; }
  fi
  # shellcheck disable=SC2086  # PYTEST_ARGS is a list of words
  if "$venv/bin/python" -m pytest -q ${PYTEST_ARGS:-}; then
    passed+=("$version")
  else
    failed+=("$version")
  fi
done

echo "test-pythons: passed: ${passed[*]:-none}; failed: ${failed[*]:-none}; skipped (not found): ${skipped[*]:-none}"
[ ${#failed[@]} -eq 0 ]
