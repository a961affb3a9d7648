"""Multiple projects: one client, one API key per project, usage reported per project.

    CLAUDE_PROJECT_KEYS="frontend=cc_...,backend=cc_..." python examples/multiple_projects.py

The service bills chat, batch and usage to the project of the API key, so a client
given ``api_key={project_id: key}`` picks the key from each call's ``project_id``.
On the embedded fake the example registers a key for each project itself.
"""

from __future__ import annotations

import os
import sys

from _service import service

from claude_client import ClaudeClient


def project_keys(fake: object) -> dict[str, str]:
    if fake is not None:
        return {
            name: fake.add_key(profile="pro", project_id=name)  # type: ignore[attr-defined]
            for name in ("frontend", "backend")
        }
    pairs = [p.split("=", 1) for p in os.environ.get("CLAUDE_PROJECT_KEYS", "").split(",") if p]
    if not pairs:
        print("set CLAUDE_PROJECT_KEYS=project=key,... to run this against a real service")
        sys.exit(0)
    return {name.strip(): key.strip() for name, key in pairs}


def main() -> int:
    with service() as (kwargs, fake):
        keys = project_keys(fake)
        kwargs = {**kwargs, "api_key": keys, "project_id": next(iter(keys))}
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
