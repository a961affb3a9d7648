"""The fault matrix: every failure mode of issues 6 and 11, sync and async, REST and stream.

Test ids read as a table: ``test_fault[<sync|async>-<kind>-<case>]`` where kind is
``rest`` (``complete()``), ``task`` (``agentic_task()``), ``stream`` (chat over
``/v1/stream``) or ``task_stream`` (agentic task over ``/v1/stream``). Each case
asserts the exception class (exactly), ``status_code`` / ``error_category`` /
``retry_after``, how many attempts reached the fake service (its request record) and
were sent by the client (a counting inner transport, or the recorded backoff sleeps for
streams), and that the call ended within its deadline with a generous margin.

Backoff sleeps are recorded, not waited out (``Sleeps`` sleeps at most 10 ms), so the
requested delays are asserted exactly (Retry-After honoured, capped, or a reason to
give up) while the module stays fast.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

import pytest
from reliability_kit import (
    WATCH,
    AsyncCountingTransport,
    CountingTransport,
    RawServer,
    Sleeps,
    assert_sdk_error,
)

from claude_client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncClaudeClient,
    AuthenticationError,
    BudgetExceededError,
    ClaudeClient,
    HTTPBudgetExceededError,
    HTTPTimeoutError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    StreamInterruptedError,
    TaskFailedError,
)
from claude_client._retry import MAX_OVERLOAD_RETRIES
from claude_client._streaming import (
    AsyncChatStream,
    AsyncTaskStream,
    ChatStream,
    StreamSettings,
    TaskStream,
)
from claude_client.testing import (
    FakeService,
    Fault,
    expected_answer,
    new_key,
    stream_chunks,
    unused_url,
)

CHAT = "/v1/chat/completions"
TASK = "/v1/task"
PROMPT = "one two three four five"
TASK_DESCRIPTION = "count the files"
CLIENT_TIMEOUT = 10.0
MAX_RETRIES = 2
IDLE_TIMEOUT = 1.0
MARGIN = 5.0  # seconds on top of every deadline: a noisy 2-core box, never a tight timing
RATE_LIMITED = "Rate limit exceeded. Please try again later."

Arm = Callable[[FakeService], Any]


def _nothing(fake: FakeService) -> None:
    return None


@dataclass(frozen=True)
class Expect:
    """What one (case, kind) must produce. ``error=None``: the call succeeds."""

    error: Optional[type[BaseException]]
    attempts: int  # requests that reached the fake
    sent: Optional[int] = None  # attempts the client sent (default: ``attempts``)
    status: Optional[int] = None
    category: Optional[str] = None
    retry_after: Optional[tuple[float, float]] = None  # (low, high); None: attribute is None
    delays: Optional[tuple[float, ...]] = None  # exact backoff delays asked for
    budget: Optional[float] = None  # seconds the call may take (default: its deadline)
    xfail: Optional[str] = None
    check: Optional[Callable[[BaseException], None]] = None


@dataclass(frozen=True)
class Case:
    name: str
    arm: Arm
    kinds: dict[str, Expect]
    refused: bool = False  # point the client at a port that refuses connections
    raw: Optional[bytes] = None  # serve from a RawServer sending this, then silence
    trickle: bytes = b""  # ... then these bytes, one every 50 ms
    connect_timeout: float = 2.0  # of a stream's connection attempt
    api_key: Optional[Callable[[FakeService], Optional[str]]] = None
    call_options: dict[str, Any] = field(default_factory=dict)


def _fail(n: Optional[int] = None, path: Optional[str] = None, **kw: Any) -> Arm:
    return lambda fake: fake.fail_next(n, path=path, **kw)


def _inject(fault: Fault, **kw: Any) -> Arm:
    return lambda fake: fake.inject(fault, **kw)


def _http_date(offset: float) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def _html_excerpt(exc: BaseException) -> None:
    assert "502 Bad Gateway" in str(exc) and "text/html" in str(exc)
    assert isinstance(getattr(exc, "body", None), str)


def _partial(expected: str) -> Callable[[BaseException], None]:
    def check(exc: BaseException) -> None:
        assert isinstance(exc, StreamInterruptedError)
        assert exc.partial_content == expected

    return check


def _mentions(text: str) -> Callable[[BaseException], None]:
    def check(exc: BaseException) -> None:
        assert text in str(exc), str(exc)

    return check


RETRIES = MAX_RETRIES + 1
OVL = "overloaded"
BACKOFF = (0.375, 0.5), (0.75, 1.0)  # jittered backoff_delay(0), backoff_delay(1)

HEADERS_THEN_SILENCE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n"
    b'{"id": "chatcmpl-1", "model": "haiku", '
)


def _raw(status: str, headers: str = "", body: bytes = b"") -> bytes:
    head = f"HTTP/1.1 {status}\r\n{headers}content-length: {len(body)}\r\n\r\n"
    return head.encode() + body


ELSEWHERE = "http://elsewhere.invalid:8443/v1/chat/completions"
TRICKLE_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4000\r\n\r\n"

CASES: list[Case] = [
    Case(
        "connection_refused",
        _nothing,
        refused=True,
        kinds={
            "rest": Expect(APIConnectionError, attempts=0, sent=RETRIES),
            "task": Expect(APIConnectionError, attempts=0, sent=RETRIES),  # never sent: retried
            "stream": Expect(APIConnectionError, attempts=0, sent=RETRIES),
            "task_stream": Expect(APIConnectionError, attempts=0, sent=RETRIES),
        },
    ),
    Case(
        "reset_mid_response",
        _inject(Fault.RESET, times=None),
        kinds={
            "rest": Expect(APIConnectionError, attempts=RETRIES),
            "task": Expect(APIConnectionError, attempts=1),  # may have run
        },
    ),
    Case(
        "accepts_never_answers",
        _inject(Fault.HANG, times=None),
        call_options={"timeout": 1},  # chat: service limit 1 s, client deadline 1 + 1.1 s
        kinds={"rest": Expect(APITimeoutError, attempts=1, budget=2.1)},
    ),
    Case(
        "accepts_never_answers_upgrade",
        _nothing,
        raw=b"",  # TCP accepted, the upgrade request read, never answered
        connect_timeout=0.5,
        kinds={
            # a connection attempt that timed out proves nothing ran: retried
            "stream": Expect(APITimeoutError, RETRIES, budget=3 * 0.5),
            "task_stream": Expect(APITimeoutError, RETRIES, budget=3 * 0.5),
        },
    ),
    Case(
        "headers_then_silence",
        _nothing,
        raw=HEADERS_THEN_SILENCE,
        call_options={"timeout": 1},
        kinds={"rest": Expect(APITimeoutError, 1, budget=2.1)},
    ),
    # issue 11: hostile and broken servers (REST side)
    Case(
        "redirect_302_not_followed",
        _nothing,
        raw=_raw("302 Found", f"location: {ELSEWHERE}\r\n"),
        kinds={
            kind: Expect(ResponseValidationError, 1, status=302, check=_mentions(ELSEWHERE))
            for kind in ("rest", "task")
        },
    ),
    Case(
        "redirect_308_not_followed",
        _nothing,
        raw=_raw("308 Permanent Redirect", f"location: {ELSEWHERE}\r\n"),
        kinds={"rest": Expect(ResponseValidationError, 1, status=308, check=_mentions("308"))},
    ),
    Case(
        "204_no_content",
        _nothing,
        raw=_raw("204 No Content").replace(b"content-length: 0\r\n", b""),
        kinds={
            kind: Expect(ResponseValidationError, 1, status=204, check=_mentions("HTTP 204"))
            for kind in ("rest", "task")
        },
    ),
    Case(
        "304_not_modified",
        _nothing,
        raw=_raw("304 Not Modified").replace(b"content-length: 0\r\n", b""),
        kinds={"rest": Expect(ResponseValidationError, 1, status=304, check=_mentions("304"))},
    ),
    Case(
        "bad_content_encoding",
        _nothing,
        raw=_raw(
            "200 OK",
            "content-type: application/json\r\ncontent-encoding: gzip\r\n",
            b"this is not gzip at all",
        ),
        kinds={
            kind: Expect(ResponseValidationError, 1, status=200, check=_mentions("gzip"))
            for kind in ("rest", "task")
        },
    ),
    Case(
        "trickling_body",
        _nothing,
        raw=TRICKLE_HEAD,
        trickle=b'{"id": "chatcmpl-1", ' + b" " * 3000,
        call_options={"timeout": 1},  # chat: service limit 1 s, client deadline 1 + 1.1 s
        kinds={
            "rest": Expect(APITimeoutError, 1, budget=2.1),
            # a task's HTTP deadline is its own timeout + 10 s
            "task": Expect(APITimeoutError, 1, budget=11),
        },
    ),
    Case(
        "500",
        _fail(status=500),
        kinds={
            "rest": Expect(ServerError, RETRIES, status=500, category="internal_error"),
            "task": Expect(ServerError, 1, status=500, category="internal_error"),
        },
    ),
    Case(
        "502",
        _fail(status=502),
        kinds={
            "rest": Expect(ServerError, RETRIES, status=502, category="upstream_error"),
            "task": Expect(ServerError, 1, status=502, category="upstream_error"),
        },
    ),
    Case(
        "503_no_retry_after",
        _fail(status=503),
        kinds={
            "rest": Expect(ServerError, RETRIES, status=503, category="overloaded"),
            "task": Expect(ServerError, 1, status=503, category="overloaded"),
        },
    ),
    Case(
        "503_retry_after_seconds",
        _fail(status=503, retry_after=2),
        kinds={
            "rest": Expect(
                ServerError, RETRIES, status=503, category=OVL, retry_after=(2, 2), delays=(2, 2)
            ),
            # 503 + Retry-After proves the task never ran: retried like any call
            "task": Expect(
                ServerError, RETRIES, status=503, category=OVL, retry_after=(2, 2), delays=(2, 2)
            ),
        },
    ),
    Case(
        "503_retry_after_http_date",
        lambda fake: fake.fail_next(None, status=503, retry_after=_http_date(3)),
        kinds={"rest": Expect(ServerError, RETRIES, status=503, category=OVL, retry_after=(0, 3))},
    ),
    Case(
        "503_retry_after_past_http_date",
        _fail(status=503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"),
        kinds={
            "rest": Expect(
                ServerError, RETRIES, status=503, category=OVL, retry_after=(0, 0), delays=(0, 0)
            )
        },
    ),
    Case(
        "503_retry_after_too_long",
        _fail(status=503, retry_after=120),
        kinds={
            "rest": Expect(
                ServerError, 1, status=503, category=OVL, retry_after=(120, 120), delays=()
            ),
            "task": Expect(
                ServerError, 1, status=503, category=OVL, retry_after=(120, 120), delays=()
            ),
        },
    ),
    Case(
        "503_retry_after_beyond_deadline",
        _fail(status=503, retry_after=8),
        kinds={
            # chat: 8 s of the 10 s deadline would leave less than a useful attempt
            "rest": Expect(ServerError, 1, status=503, category=OVL, retry_after=(8, 8), delays=()),
            # a task's deadline is its own timeout + 10 s: the waits fit
            "task": Expect(
                ServerError, RETRIES, status=503, category=OVL, retry_after=(8, 8), delays=(8, 8)
            ),
        },
    ),
    Case(
        "503_then_ok",
        _fail(1, status=503),
        kinds={
            "rest": Expect(None, attempts=2),
            "task": Expect(ServerError, 1, status=503, category=OVL),  # may have run
        },
    ),
    Case(
        # The worker pool's refusal (BEHAVIOUR.md §6): nothing ran, so even a task is
        # retried, on an allowance of its own beyond max_retries (waits 1-8 s, recorded).
        "pool_overloaded",
        _inject(Fault.POOL_OVERLOADED, times=None),
        call_options={"timeout": 60},  # every jittered wait fits: a fixed attempt count
        kinds={
            "rest": Expect(
                ServerError,
                1 + MAX_OVERLOAD_RETRIES,
                status=503,
                check=_mentions("Worker pool overloaded"),
            ),
            "task": Expect(
                ServerError,
                1 + MAX_OVERLOAD_RETRIES,
                status=503,
                check=_mentions("Worker pool overloaded"),
            ),
        },
    ),
    Case(
        "pool_overloaded_3_then_ok",
        _inject(Fault.POOL_OVERLOADED, times=3),
        kinds={"rest": Expect(None, attempts=4), "task": Expect(None, attempts=4)},
    ),
    Case(
        # /v1/task answers the pool's refusal as a 200 with status failed
        "task_refused_by_the_pool_as_200",
        _fail(
            None,
            path=TASK,
            status=200,
            body={
                "task_id": "00000000-0000-4000-8000-000000000000",
                "status": "failed",
                "result": {
                    "error": "Worker pool overloaded: 5 active workers, 50 queued tasks. "
                    "Try again later."
                },
                "execution_log": [],
                "artifacts": [],
                "usage": {},
            },
        ),
        kinds={
            "task": Expect(
                TaskFailedError, 1 + MAX_OVERLOAD_RETRIES, check=_mentions("Worker pool")
            )
        },
    ),
    Case(
        "504",
        _fail(status=504),
        kinds={
            "rest": Expect(HTTPTimeoutError, RETRIES, status=504, category="timeout"),
            "task": Expect(HTTPTimeoutError, 1, status=504, category="timeout"),
        },
    ),
    Case(
        "520",
        _fail(status=520),
        kinds={
            "rest": Expect(ServerError, RETRIES, status=520, category=None),
            "task": Expect(ServerError, 1, status=520, category=None),
        },
    ),
    Case(
        "529",
        _fail(status=529),
        kinds={
            "rest": Expect(ServerError, RETRIES, status=529, category=None),
            "task": Expect(ServerError, 1, status=529, category=None),
        },
    ),
    Case(
        "html_proxy_page",
        _inject(Fault.HTML, times=None),
        kinds={
            "rest": Expect(ServerError, RETRIES, status=502, check=_html_excerpt),
            "task": Expect(ServerError, 1, status=502, check=_html_excerpt),
        },
    ),
    Case(
        "truncated_json",
        _inject(Fault.TRUNCATED_JSON, times=None),
        kinds={
            "rest": Expect(ResponseValidationError, 1),
            "task": Expect(ResponseValidationError, 1),
        },
    ),
    Case(
        "wrong_shape_missing_content",
        _inject(Fault.WRONG_SHAPE, times=None, drop=("content",), replace={}),
        kinds={"rest": Expect(ResponseValidationError, 1, check=_mentions("content"))},
    ),
    Case(
        "wrong_shape_usage_string",
        _inject(Fault.WRONG_SHAPE, times=None, drop=(), replace={"usage": "n/a"}),
        kinds={
            "rest": Expect(ResponseValidationError, 1, check=_mentions("usage")),
            "task": Expect(ResponseValidationError, 1),
        },
    ),
    Case(
        "429_rate_limit",
        _fail(status=429, detail=RATE_LIMITED, category=""),
        kinds={
            "rest": Expect(RateLimitError, RETRIES, status=429),
            "task": Expect(RateLimitError, RETRIES, status=429),  # proves the task never ran
        },
    ),
    Case(
        "429_rate_limit_then_ok",
        _fail(1, status=429, detail=RATE_LIMITED, category=""),
        kinds={"rest": Expect(None, attempts=2), "task": Expect(None, attempts=2)},
    ),
    Case(
        "429_budget_exceeded",
        lambda fake: fake.set_budget("default", 0),
        kinds={
            "rest": Expect(HTTPBudgetExceededError, 1, status=429, delays=()),
            "stream": Expect(BudgetExceededError, 1),
        },
    ),
    Case(
        "401_invalid_key",
        _nothing,
        api_key=lambda fake: new_key(),
        kinds={
            "rest": Expect(AuthenticationError, 1, status=401, delays=()),
            "task": Expect(AuthenticationError, 1, status=401, delays=()),
        },
    ),
    Case(
        "no_api_key",
        _nothing,
        api_key=lambda fake: None,
        kinds={
            # found before sending; status 401, what the service would answer
            "rest": Expect(
                AuthenticationError, 0, status=401, delays=(), check=_mentions("CLAUDE_API_KEY")
            ),
            "task": Expect(AuthenticationError, 0, status=401, delays=()),
            "task_stream": Expect(AuthenticationError, 0, status=401, delays=()),
        },
    ),
    Case(
        "401_not_authenticated",
        _inject(Fault.NOT_AUTHENTICATED_401, times=None),
        kinds={"rest": Expect(AuthenticationError, 1, status=401, delays=())},
    ),
    Case(
        "403_not_authenticated_older_deployments",
        _inject(Fault.NOT_AUTHENTICATED_403, times=None),
        kinds={
            "rest": Expect(AuthenticationError, 1, status=403, delays=()),
            "task": Expect(AuthenticationError, 1, status=403, delays=()),
        },
    ),
    Case(
        "403_permission",
        _nothing,
        call_options={"allow_tools": ["Write"]},  # the pro profile blocks Write
        kinds={
            "task": Expect(
                PermissionDeniedError,
                1,
                status=403,
                delays=(),
                check=_mentions("Permission denied"),
            ),
            # an error frame carries the status REST answers the same failure with
            "task_stream": Expect(
                PermissionDeniedError, 1, status=403, check=_mentions("explicitly blocked")
            ),
        },
    ),
    Case(
        "ws_drop_mid_stream",
        _inject(Fault.WS_DROP, after=2),
        kinds={
            # The first two token frames of the answer, as the service cuts it ("An").
            "stream": Expect(
                StreamInterruptedError,
                1,
                check=_partial("".join(stream_chunks(expected_answer(PROMPT))[:2])),
            ),
            "task_stream": Expect(StreamInterruptedError, 1, check=_partial("")),
        },
    ),
    Case(
        "ws_error_frame",
        _inject(Fault.WS_ERROR_FRAME, after=1),
        kinds={"stream": Expect(ServerError, 1, status=500, check=_mentions("Streaming error"))},
    ),
    Case(
        "ws_task_execution_error",
        lambda fake: fake.next_task_status("crash"),
        kinds={
            "task_stream": Expect(
                ServerError, 1, status=500, check=_mentions("Task execution error")
            )
        },
    ),
    Case(
        "ws_silent_server_idle_timeout",
        _inject(Fault.WS_SILENT, after=1),
        kinds={
            "stream": Expect(APITimeoutError, 1, budget=IDLE_TIMEOUT, check=_mentions("idle")),
        },
    ),
    Case(
        "ws_refused_upgrade_503",
        _inject(Fault.WS_REFUSE, times=None, status=503),
        kinds={
            "stream": Expect(ServerError, RETRIES, status=503, category=OVL),
            "task_stream": Expect(ServerError, RETRIES, status=503, category=OVL),  # not run
        },
    ),
    Case(
        "ws_refused_upgrade_503_retry_after",
        _inject(Fault.WS_REFUSE, times=None, status=503, retry_after=1),
        kinds={
            "stream": Expect(
                ServerError, RETRIES, status=503, category=OVL, retry_after=(1, 1), delays=(1, 1)
            )
        },
    ),
    Case(
        "ws_refused_upgrade_html_502",
        _inject(
            Fault.WS_REFUSE,
            times=None,
            status=502,
            body="<html><body><h1>502 Bad Gateway</h1></body></html>",
            content_type="text/html",
            category="",
        ),
        kinds={"stream": Expect(ServerError, RETRIES, status=502, check=_mentions("502"))},
    ),
    Case(
        "ws_refused_upgrade_403",
        _inject(Fault.WS_REFUSE, times=None, status=403, detail="Forbidden by proxy"),
        kinds={"stream": Expect(PermissionDeniedError, 1, status=403, delays=())},
    ),
    Case(
        "ws_close_1001_during_stream",
        _inject(Fault.WS_CLOSE_1001, after=2),
        kinds={
            "stream": Expect(StreamInterruptedError, 1, check=_mentions("1001")),
            "task_stream": Expect(StreamInterruptedError, 1, check=_mentions("1001")),
        },
    ),
]


def _params() -> list[Any]:
    out = []
    for mode in ("sync", "async"):
        for case in CASES:
            for kind, expect in case.kinds.items():
                marks = (
                    [pytest.mark.xfail(strict=True, reason=expect.xfail)] if expect.xfail else []
                )
                out.append(
                    pytest.param(
                        mode, kind, case, expect, id=f"{mode}-{kind}-{case.name}", marks=marks
                    )
                )
    return out


# --------------------------------------------------------------------------- running one call


def _call_kwargs(kind: str, case: Case) -> dict[str, Any]:
    if kind == "rest":
        return {"model": "haiku", **case.call_options}
    if kind in ("task", "task_stream"):
        return {"timeout": 30, "max_cost": 0.5, **case.call_options}
    return dict(case.call_options)


def _settings(client: Any, sleeps: Sleeps, case: Case) -> StreamSettings:
    return StreamSettings.for_client(
        client,
        idle_timeout=IDLE_TIMEOUT,
        connect_timeout=case.connect_timeout,
        close_timeout=1.0,
        sleep=sleeps,
        async_sleep=sleeps.async_sleep,
    )


def _run_sync(client: ClaudeClient, kind: str, case: Case, sleeps: Sleeps) -> Any:
    kw = _call_kwargs(kind, case)
    if kind == "rest":
        return client.complete(PROMPT, **kw)
    if kind == "task":
        return client.agentic_task(TASK_DESCRIPTION, **kw)
    settings = _settings(client, sleeps, case)
    if kind == "stream":
        stream = ChatStream(settings, messages=[{"role": "user", "content": PROMPT}], model="haiku")
        with stream:
            WATCH.check(stream)
            return "".join(stream)
    task_stream = TaskStream(settings, description=TASK_DESCRIPTION, **kw)
    with task_stream:
        WATCH.check(task_stream)
        return list(task_stream)


async def _run_async(client: AsyncClaudeClient, kind: str, case: Case, sleeps: Sleeps) -> Any:
    kw = _call_kwargs(kind, case)
    if kind == "rest":
        return await client.complete(PROMPT, **kw)
    if kind == "task":
        return await client.agentic_task(TASK_DESCRIPTION, **kw)
    settings = _settings(client, sleeps, case)
    if kind == "stream":
        stream = AsyncChatStream(
            settings, messages=[{"role": "user", "content": PROMPT}], model="haiku"
        )
        async with stream:
            WATCH.check(stream)
            return "".join([chunk async for chunk in stream])
    task_stream = AsyncTaskStream(settings, description=TASK_DESCRIPTION, **kw)
    async with task_stream:
        WATCH.check(task_stream)
        return [item async for item in task_stream]


def _deadline(kind: str, expect: Expect) -> float:
    if expect.budget is not None:
        return expect.budget
    if kind == "task":
        return 30 + 10  # the task's own timeout + the client's 10 s margin
    return CLIENT_TIMEOUT


def _server_attempts(fake: FakeService, kind: str, raw: Optional[RawServer]) -> int:
    if raw is not None:
        return raw.requests
    if kind == "rest":
        return len(fake.requests_to(CHAT))
    if kind == "task":
        return len(fake.requests_to(TASK))
    return len([r for r in fake.requests if r.path == "/v1/stream"])


@pytest.mark.parametrize(("mode", "kind", "case", "expect"), _params())
def test_fault(
    fake: FakeService,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    kind: str,
    case: Case,
    expect: Expect,
) -> None:
    monkeypatch.delenv("CLAUDE_API_KEY", raising=False)  # only the key a case gives
    raw = RawServer(case.raw, case.trickle) if case.raw is not None else None
    try:
        _check_fault(fake, mode, kind, case, expect, raw)
    finally:
        if raw is not None:
            raw.stop()


def _check_fault(
    fake: FakeService, mode: str, kind: str, case: Case, expect: Expect, raw: Optional[RawServer]
) -> None:
    base_url = unused_url() if case.refused else raw.base_url if raw else fake.base_url
    api_key = case.api_key(fake) if case.api_key else fake.api_key
    if api_key is not None:
        WATCH.add_secret(api_key)
    sleeps = Sleeps()
    case.arm(fake)
    outcome: Any = None
    error: Optional[BaseException] = None
    started = time.monotonic()
    if mode == "sync":
        transport = CountingTransport()
        with ClaudeClient(
            base_url=base_url,
            api_key=api_key,
            timeout=CLIENT_TIMEOUT,
            max_retries=MAX_RETRIES,
            transport=transport,
            sleep=sleeps,
        ) as client:
            try:
                outcome = _run_sync(client, kind, case, sleeps)
            except Exception as exc:
                error = exc
            WATCH.check(client)
    else:
        atransport = AsyncCountingTransport()

        async def main() -> Any:
            async with AsyncClaudeClient(
                base_url=base_url,
                api_key=api_key,
                timeout=CLIENT_TIMEOUT,
                max_retries=MAX_RETRIES,
                transport=atransport,
                sleep=sleeps.async_sleep,
            ) as client:
                try:
                    return await _run_async(client, kind, case, sleeps)
                finally:
                    WATCH.check(client)

        try:
            outcome = asyncio.run(main())
        except Exception as exc:
            error = exc
    elapsed = time.monotonic() - started

    # the outcome: exactly the expected class, never a bare library error
    if expect.error is None:
        assert error is None, f"expected success, got {type(error).__name__}: {error}"
        assert outcome, "an empty result"
        WATCH.check(outcome)
    else:
        assert error is not None, f"expected {expect.error.__name__}, the call succeeded"
        assert_sdk_error(error)
        assert type(error) is expect.error, f"{type(error).__name__}: {error}"
        assert error.status_code == expect.status
        # `except APIStatusError` catches exactly the errors that carry an error status
        status = error.status_code
        assert isinstance(error, APIStatusError) == (status is not None and status >= 400)
        if expect.status is not None or expect.category is not None:
            assert error.error_category == expect.category
        if expect.retry_after is None:
            assert error.retry_after is None
        else:
            low, high = expect.retry_after
            assert error.retry_after is not None and low <= error.retry_after <= high
        if expect.check is not None:
            expect.check(error)
        WATCH.check(error)

    # attempts: what reached the service, and what the client sent
    assert _server_attempts(fake, kind, raw) == expect.attempts
    sent = expect.sent if expect.sent is not None else expect.attempts
    if kind in ("rest", "task"):
        counted = transport.sent if mode == "sync" else atransport.sent
        assert counted == sent
    assert len(sleeps.delays) == max(sent - 1, 0)
    if expect.delays is not None:
        assert tuple(sleeps.delays) == expect.delays
    elif expect.retry_after is None and len(sleeps.delays) == 2:
        for delay, (low, high) in zip(sleeps.delays, BACKOFF, strict=True):
            assert low <= delay <= high  # jittered exponential backoff

    # ended within its deadline (+ the short recorded sleeps), generous margin
    assert elapsed < _deadline(kind, expect) + MARGIN
