"""``python -m claude_client ...``: the ``claude-client`` command."""

from ._cli import main

raise SystemExit(main())
