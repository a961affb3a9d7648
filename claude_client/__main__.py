"""``python -m claude_client ...``: the ``claude-client`` command."""

from ._cli import main

# Guarded: tools that import every module of the package (pkgutil walks) must not run it.
if __name__ == "__main__":
    raise SystemExit(main())
