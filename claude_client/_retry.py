"""The retry policy, pure and I/O-free (REST and WebSocket connects share it).

What is retried (``shared/contract/BEHAVIOUR.md`` says what each status means):

* ordinary calls (chat, batch, usage, route, process, the GET routes):
  connection failures, 408, 429 *rate limits* (never "Budget exceeded ..."), and
  every 5xx except 501 (500, 502, 503, 504 and non-IANA 520-529 from proxies);
* agentic tasks (``POST /v1/task`` and streamed tasks), which run tools with side
  effects: only when the answer proves the task never ran: a connection that
  failed before the request was sent, a 429 rate limit, a 503 carrying
  ``Retry-After`` (circuit breaker open), or the worker pool's refusal
  ``Worker pool overloaded: ...`` (a 503, or on ``/v1/task`` a 200 with status
  ``failed`` and that ``result.error``: :func:`is_pool_overloaded`).

A worker-pool refusal (BEHAVIOUR.md §6: every model run goes through one pool of
``max_workers`` running + ``10 x max_workers`` queued; beyond that the service
refuses with no ``Retry-After``) proves nothing ran and frees within seconds, so it
gets its own allowance: up to :data:`MAX_OVERLOAD_RETRIES` retries that do not
count against ``max_retries`` (``max_retries=0`` still disables every retry), each
after :func:`overload_delay` (1, 2, 4, 8, 8 ... s, jittered down to half), all
within the call's deadline.

How long to wait (:func:`backoff_delay`): ``min(0.5 * 2**attempt, 8)`` seconds
(attempt 0 is the first retry) times a jitter factor in ``[0.75, 1.0)``, so a
crowd of clients does not retry in lockstep and the wait never exceeds the cap.
A ``Retry-After`` of up to 60 s is honoured exactly; a longer one means "give up"
(:data:`GIVE_UP`, i.e. ``math.inf``): waiting minutes inside a call is worse
than telling the caller.

One :class:`Deadline` per call covers every attempt and every sleep; a retry
starts only when its sleep plus a useful attempt still fit (:meth:`Deadline.can_fit`).

:class:`RetryState` is the one retry state machine every retry loop of the SDK
drives (sync and async REST transports, sync and async WebSocket connectors): told
how an attempt failed (a :class:`Failure`, classified by :mod:`claude_client._errors`),
it answers with a :class:`Decision`: sleep this long and try again, or give up. It
does no I/O and never sleeps; the loops around it do only that.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

from ._exceptions import ClaudeAPIError

__all__ = [
    "BASE_DELAY",
    "DEFAULT_MAX_RETRIES",
    "GIVE_UP",
    "JITTER_MIN",
    "MAX_DELAY",
    "MAX_OVERLOAD_RETRIES",
    "MAX_RETRY_AFTER",
    "OVERLOADED_PREFIX",
    "Deadline",
    "Decision",
    "Failure",
    "RetryState",
    "backoff_delay",
    "is_budget_detail",
    "is_pool_overloaded",
    "is_retryable_connection_error",
    "is_retryable_status",
    "overload_delay",
]

DEFAULT_MAX_RETRIES = 2
BASE_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
JITTER_MIN = 0.75
GIVE_UP = math.inf
"""What :func:`backoff_delay` returns when the server asks for a wait longer than
:data:`MAX_RETRY_AFTER`: do not retry."""
OVERLOADED_PREFIX = "Worker pool overloaded"
"""How the service's worker-pool refusal starts (503 ``detail``, or a task's ``result.error``)."""
OVERLOAD_BASE_DELAY = 1.0
OVERLOAD_JITTER_MIN = 0.5
MAX_OVERLOAD_RETRIES = 8
"""Pool refusals retried per call on top of ``max_retries`` (about 45 s of waits at most)."""


def backoff_delay(
    attempt: int,
    *,
    retry_after: Optional[float] = None,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to sleep before retry number ``attempt + 1`` (``attempt`` counts from 0).

    ``retry_after`` (seconds, already parsed from the header) wins when given:
    up to :data:`MAX_RETRY_AFTER` it is returned as is; beyond it the result is
    :data:`GIVE_UP` (``math.inf``), which callers must treat as "do not retry"
    (``Deadline.can_fit(math.inf)`` is always false).

    >>> backoff_delay(0, rng=lambda: 1.0), backoff_delay(3, rng=lambda: 1.0)
    (0.5, 4.0)
    >>> backoff_delay(10, rng=lambda: 0.0)
    6.0
    >>> backoff_delay(0, retry_after=3), backoff_delay(0, retry_after=61)
    (3.0, inf)
    """
    if retry_after is not None:
        if retry_after != retry_after or retry_after > MAX_RETRY_AFTER:  # NaN or too long
            return GIVE_UP
        return max(0.0, float(retry_after))
    if attempt < 0:
        attempt = 0
    # 2**attempt overflows nothing for any realistic attempt, but cap the exponent anyway.
    base = min(BASE_DELAY * (2.0 ** min(attempt, 16)), MAX_DELAY)
    jitter = JITTER_MIN + (1.0 - JITTER_MIN) * min(max(rng(), 0.0), 1.0)
    return base * jitter


def overload_delay(refusal: int, *, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the pool's ``refusal``-th refusal in a row (counting from 0).

    ``min(1 * 2**refusal, 8)`` seconds times a jitter factor in ``[0.5, 1.0)``: the
    pool frees as runs finish (seconds each), and a crowd of refused clients must not
    come back in lockstep.

    >>> overload_delay(0, rng=lambda: 1.0), overload_delay(5, rng=lambda: 0.0)
    (1.0, 4.0)
    """
    base = min(OVERLOAD_BASE_DELAY * (2.0 ** min(max(refusal, 0), 16)), MAX_DELAY)
    jitter = OVERLOAD_JITTER_MIN + (1.0 - OVERLOAD_JITTER_MIN) * min(max(rng(), 0.0), 1.0)
    return base * jitter


class Deadline:
    """A monotonic deadline shared by every attempt and sleep of one call.

    ``Deadline(None)`` never expires. ``clock`` is injectable for tests.
    """

    __slots__ = ("_at", "_clock", "timeout")

    def __init__(
        self, timeout: Optional[float], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.timeout = timeout
        self._clock = clock
        self._at = None if timeout is None else clock() + max(0.0, timeout)

    def remaining(self) -> float:
        """Seconds left (``math.inf`` without a deadline; never negative)."""
        if self._at is None:
            return math.inf
        return max(0.0, self._at - self._clock())

    @property
    def expired(self) -> bool:
        return self._at is not None and self._clock() >= self._at

    def can_fit(self, delay: float, need: float = 0.0) -> bool:
        """Whether sleeping ``delay`` s still leaves more than ``need`` s for an attempt."""
        if math.isinf(delay) or delay != delay:
            return False
        return self.remaining() - delay > need

    def __repr__(self) -> str:
        return f"Deadline(timeout={self.timeout!r}, remaining={self.remaining():.3f})"


def is_budget_detail(detail: object) -> bool:
    """The service's "budget exhausted" wording (on 429 and 403): retrying never helps."""
    return isinstance(detail, str) and detail.startswith("Budget exceeded")


def is_pool_overloaded(detail: object) -> bool:
    """The worker pool's refusal (``Worker pool overloaded: ...``): nothing ran.

    >>> is_pool_overloaded("Worker pool overloaded: 5 active workers, 50 queued tasks.")
    True
    """
    return isinstance(detail, str) and detail.startswith(OVERLOADED_PREFIX)


def is_retryable_status(
    status: int, detail: object, *, task: bool, retry_after: Optional[float]
) -> bool:
    """Whether an error response may be retried.

    ``detail`` is the body's ``detail`` (a 429 "Budget exceeded ..." is final);
    ``task`` selects the strict policy for agentic tasks (side effects: retry only
    429 rate limits, 503 with ``Retry-After`` and the worker pool's 503 refusal,
    which prove the task never ran).

    >>> is_retryable_status(502, None, task=False, retry_after=None)
    True
    >>> is_retryable_status(502, None, task=True, retry_after=None)
    False
    >>> is_retryable_status(429, "Budget exceeded for project p", task=False, retry_after=None)
    False
    >>> is_retryable_status(503, "Worker pool overloaded: ...", task=True, retry_after=None)
    True
    """
    if status == 429:
        return not is_budget_detail(detail)
    if task:
        return status == 503 and (retry_after is not None or is_pool_overloaded(detail))
    if status == 408:
        return True
    return status >= 500 and status != 501


def is_retryable_connection_error(*, request_sent: bool, task: bool) -> bool:
    """Whether a failure without a response may be retried.

    ``request_sent`` is false when the connection could not be opened (connect
    error or connect/pool timeout): the service never saw the request.
    """
    return not (task and request_sent)


# --------------------------------------------------------------------------- state machine


@dataclass(frozen=True, slots=True)
class Failure:
    """How one attempt failed, as the policy sees it (``_errors`` classifies outcomes).

    ``error`` is what the caller raises when the call gives up; ``retryable`` says
    whether the policy allows another attempt at all (:func:`is_retryable_status`,
    :func:`is_retryable_connection_error`); ``overloaded`` marks the worker pool's
    refusal, which has its own allowance.
    """

    error: ClaudeAPIError
    retryable: bool
    overloaded: bool = False


GIVE_UP_NOT_RETRYABLE = "not retryable"
GIVE_UP_EXHAUSTED = "retries exhausted"
GIVE_UP_RETRY_AFTER = "Retry-After too long"
GIVE_UP_DEADLINE = "deadline"


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do after a failed attempt: sleep ``delay`` s and retry, or give up.

    ``delay is None`` means give up (raise the failure's error, or hand back the
    answer when it is a response); ``reason`` then says why (``GIVE_UP_*``).
    """

    delay: Optional[float]
    reason: str = ""

    @property
    def retry(self) -> bool:
        return self.delay is not None


class RetryState:
    """The retries of one call: the single retry state machine (no I/O, no sleep).

    Every retry loop of the SDK (the sync and async REST transports, the sync and
    async WebSocket connectors) is a thin loop around one of these: it counts an
    attempt with :meth:`started`, does the I/O, has the outcome classified into a
    :class:`Failure` and asks :meth:`after` what to do. The answer follows the
    module's policy: ordinary failures count against ``max_retries`` with
    :func:`backoff_delay`; pool refusals get :data:`MAX_OVERLOAD_RETRIES` of their
    own with :func:`overload_delay` (``retry_overloaded=False`` hands them straight
    back); a ``Retry-After`` over the cap gives up; so does a sleep that would not
    leave ``need`` seconds of the one :class:`Deadline` for the next attempt.
    """

    __slots__ = (
        "attempts",
        "deadline",
        "max_retries",
        "need",
        "overloads",
        "retry_overloaded",
        "rng",
    )

    def __init__(
        self,
        deadline: Deadline,
        max_retries: int,
        *,
        need: float = 0.0,
        retry_overloaded: bool = True,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.deadline = deadline
        self.max_retries = max_retries
        self.need = need
        self.retry_overloaded = retry_overloaded
        self.rng = rng
        self.attempts = 0  # attempts started
        self.overloads = 0  # pool refusals met

    def started(self) -> int:
        """Count an attempt about to start; returns its number (from 1)."""
        self.attempts += 1
        return self.attempts

    def after(self, failure: Failure) -> Decision:
        """What to do once the current attempt failed with ``failure``."""
        overloaded = failure.overloaded
        if overloaded:
            self.overloads += 1
            if not self.retry_overloaded:
                return Decision(None, GIVE_UP_NOT_RETRYABLE)
        if not failure.retryable:
            return Decision(None, GIVE_UP_NOT_RETRYABLE)
        failures = self.attempts - self.overloads
        if self.max_retries <= 0 or failures > self.max_retries:
            return Decision(None, GIVE_UP_EXHAUSTED)
        retry_after = failure.error.retry_after
        if overloaded:
            if self.overloads > MAX_OVERLOAD_RETRIES:
                return Decision(None, GIVE_UP_EXHAUSTED)
            delay = (
                overload_delay(self.overloads - 1, rng=self.rng)
                if retry_after is None
                else backoff_delay(0, retry_after=retry_after)
            )
        else:
            delay = backoff_delay(failures - 1, retry_after=retry_after, rng=self.rng)
        if math.isinf(delay):
            return Decision(None, GIVE_UP_RETRY_AFTER)
        if not self.deadline.can_fit(delay, self.need):
            return Decision(None, GIVE_UP_DEADLINE)
        return Decision(delay)
