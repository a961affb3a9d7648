"""``claude-client``: the SDK on the command line (also ``python -m claude_client``).

Stdlib only (argparse), so it ships in the core install and ``--help`` stays fast;
``import claude_client`` never imports this package. Each command's module is imported
when that command runs.
"""

from __future__ import annotations

import sys
from typing import Optional

__all__ = ["main"]


def main(argv: Optional[list[str]] = None) -> int:
    """Run one ``claude-client`` command; returns its exit status."""
    from ._common import EXIT_USAGE, redact, report, warn
    from ._parser import build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if getattr(args, "key", None):
        redact.secrets = [args.key]
        warn(
            "--key is visible to other users in the process list and shell history; "
            "prefer the CLAUDE_API_KEY environment variable"
        )
    try:
        if args.command == "batch":
            from ._batch import run_batch

            return run_batch(args)
        if args.command == "completion":
            from ._completion import completion_script

            sys.stdout.write(completion_script(parser, args.shell))
            return 0
        from . import _commands

        handler = getattr(_commands, "cmd_" + args.command)
        status: int = handler(args)
        return status
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `claude-client ... | head`: the reader left; not an error of ours. Point stdout
        # at /dev/null so the interpreter's last flush does not complain either.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        return report(exc)
