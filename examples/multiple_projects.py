"""Multiple projects: one client, one API key per project, usage reported per project.

    CLAUDE_PROJECT_KEYS="frontend=cc_...,backend=cc_..." python multiple_projects.py

The service bills chat, batch and usage to the project of the API key, so a client
given ``api_key={project_id: key}`` picks the key from each call's ``project_id``.
On the embedded fake the example registers a key for each project itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

from claude_client import ClaudeClient


def service() -> contextlib.AbstractContextManager[Any]:
    """The service in CLAUDE_API_URL / CLAUDE_API_KEY, else the embedded fake (yields it)."""
    if os.environ.get("CLAUDE_API_URL") and os.environ.get("CLAUDE_API_KEY"):
        return contextlib.nullcontext()  # ClaudeClient() reads both variables
    from claude_client.testing import serve  # pip install 'claude-code-client[testing]'

    return serve()  # on 127.0.0.1, a free port, stopped at the end of the `with`


def project_keys(fake: Any) -> dict[str, str]:
    if fake is not None:
        return {
            name: fake.add_key(profile="pro", project_id=name) for name in ("frontend", "backend")
        }
    pairs = [p.split("=", 1) for p in os.environ.get("CLAUDE_PROJECT_KEYS", "").split(",") if p]
    if not pairs:
        print("set CLAUDE_PROJECT_KEYS=project=key,... to run this against a real service")
        sys.exit(0)
    return {name.strip(): key.strip() for name, key in pairs}


def main() -> int:
    with service() as fake:
        keys = project_keys(fake)
        kwargs = {**(fake.client_kwargs() if fake else {}), "api_key": keys}
        kwargs["project_id"] = next(iter(keys))
        with ClaudeClient(**kwargs) as client:
            for project in keys:
                answer = client.complete(
                    f"Plan the next sprint of {project}", model="haiku", project_id=project
                )
                print(f"{project:<10} billed to {answer.project_id}: {answer.content}")
            client.complete("One more for the backend", model="haiku", project_id="backend")
            print()
            for project in keys:
                usage = client.get_usage(project_id=project)
                print(
                    f"{usage.project_id:<10} {usage.total_tokens:>4} tokens"
                    f"  ${usage.total_cost:.6f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
