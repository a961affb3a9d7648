"""Where `ClaudeClient.complete()`'s overhead over raw httpx goes, layer by layer.

    .venv/bin/python benchmarks/profiling/per_call_breakdown.py [--reps 15]

Part 1 (wall time, loopback floor server, interleaved blocks of 200 calls):
  raw httpx  ->  + the SDK's RetryTransport  ->  + the generated endpoint (body built
  once)  ->  the whole facade. Each step's ratio to raw, per rep of the same run.
Part 2 (CPU only, timeit best of 5): the pieces the facade adds to every call.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import timeit
from http import HTTPStatus
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _sdk
import _servers
import httpx2
import run
from _harness import floor_server, fold, interleave

from claude_client._models import parse_response
from claude_client._requests import build_complete
from claude_client._transport import RetryTransport, call_options

BLOCK = 200


def prep(fac: Any) -> Any:
    return build_complete(
        fac,
        prompt="Say hello",
        messages=None,
        model="haiku",
        timeout=None,
        project_id=None,
        max_tokens=None,
        working_directory=None,
        allowed_tools=None,
        tools=None,
        tool_choice=None,
        max_retries=None,
        extra_headers=None,
    )


def part1(reps: int) -> None:
    from claude_client.generated.api.api import chat_completion

    with floor_server("http") as port:
        url = f"http://127.0.0.1:{port}"
        raw = httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {run.API_KEY}"})
        fac = _sdk.sync_client(url, run.API_KEY)
        rt = httpx2.Client(
            transport=RetryTransport(keys=fac._keys, timeout=fac.timeout, max_retries=2),
            **fac._http_settings(None),
        )
        gen = fac.generated
        body = prep(fac).kwargs["body"]

        def loop(f: Any) -> Any:
            def rep() -> float:
                t0 = time.perf_counter()
                for _ in range(BLOCK):
                    f()
                return time.perf_counter() - t0

            return rep

        sides = {
            "raw httpx2.Client.post().json()": loop(
                lambda: raw.post("/v1/chat/completions", json=_sdk.CHAT_BODY).json()
            ),
            "+ RetryTransport (raw post through it)": loop(
                lambda: rt.post("/v1/chat/completions", json=_sdk.CHAT_BODY).json()
            ),
            "+ generated sync_detailed via client.generated": loop(
                lambda: chat_completion.sync_detailed(client=gen, body=body)
            ),
            "ClaudeClient.complete()": loop(lambda: fac.complete("Say hello", model="haiku")),
        }
        figs = fold(interleave(sides, reps=reps * 10, warmup=2), 10)
        base = figs["raw httpx2.Client.post().json()"]
        for name, f in figs.items():
            rs = sorted(a / b for a, b in zip(f.samples, base.samples, strict=True))
            print(
                f"{name:48s} {f.median / BLOCK / 10 * 1e6:7.1f} us/call  "
                f"{rs[len(rs) // 2]:.3f}x raw [{rs[0]:.2f}-{rs[-1]:.2f}]"
            )
        fac.close()
        rt.close()
        raw.close()


def part2() -> None:
    from claude_client.generated.types import Response as GeneratedResponse

    fac = _sdk.sync_client("http://127.0.0.1:9", run.API_KEY)
    n = 20_000

    def t(label: str, f: Any) -> None:
        best = min(timeit.repeat(f, number=n, repeat=5)) / n * 1e6
        print(f"{best:6.2f} us  {label}")

    def imports() -> None:
        from claude_client.generated.models.chat_completion_request import (  # noqa: F401
            ChatCompletionRequest,
        )
        from claude_client.generated.models.chat_completion_request_messages_type_1_item import (  # noqa: F401
            ChatCompletionRequestMessagesType1Item,
        )
        from claude_client.generated.types import UNSET  # noqa: F401

    t("_requests.build_complete: validation, CallOptions, attrs body", lambda: prep(fac))
    t("  of which: its 3 function-level `from ... import`", imports)
    body = prep(fac).kwargs["body"]
    t("ChatCompletionRequest.to_dict() (generated _get_kwargs)", body.to_dict)
    data = json.loads(_servers.CHAT_BODY)
    t("_models.parse_response(data)", lambda: parse_response(data))
    resp = httpx2.Response(
        200,
        headers={"content-type": "application/json", "x-request-id": "0" * 36},
        content=_servers.CHAT_BODY,
    )
    t(
        "_transport: response.headers.get('x-request-id') for a DEBUG log that is off",
        lambda: resp.headers.get("x-request-id"),
    )
    req = httpx2.Request("POST", "http://x/v1/chat/completions", json=_sdk.CHAT_BODY)

    def set_auth() -> None:
        req.headers["Authorization"] = "Bearer " + run.API_KEY

    t("_transport: request.headers['Authorization'] = ...", set_auth)
    core = fac._http._transport._core
    opts = prep(fac).options
    req.extensions["timeout"] = {"connect": 10.0, "read": 300.0, "write": 300.0, "pool": 10.0}

    def begin_attempt() -> None:
        with call_options(opts), core.begin(req) as call:
            call.attempt()

    t("_transport: _Core.begin + _Call.attempt (auth, RetryState, capped timeouts)", begin_attempt)
    t(
        "generated _build_response: HTTPStatus(...) + Response(...) (json excluded)",
        lambda: GeneratedResponse(
            status_code=HTTPStatus(resp.status_code),
            content=resp.content,
            headers=resp.headers,
            parsed=None,
        ),
    )
    fac.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=15)
    args = p.parse_args()
    part1(args.reps)
    print()
    part2()


if __name__ == "__main__":
    main()
