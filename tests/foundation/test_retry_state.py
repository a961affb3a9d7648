"""The one retry state machine (``_retry.RetryState``): what it decides, with no I/O.

The REST transports and the WebSocket connectors only drive it; these cases pin
its decisions directly, with a fake clock and a fixed jitter.
"""

from __future__ import annotations

from claude_client import RateLimitError, ServerError, TaskFailedError
from claude_client._retry import (
    GIVE_UP_DEADLINE,
    GIVE_UP_EXHAUSTED,
    GIVE_UP_NOT_RETRYABLE,
    GIVE_UP_RETRY_AFTER,
    MAX_OVERLOAD_RETRIES,
    Deadline,
    Failure,
    RetryState,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _state(
    timeout: float = 100.0,
    max_retries: int = 2,
    *,
    need: float = 0.0,
    retry_overloaded: bool = True,
) -> RetryState:
    return RetryState(
        Deadline(timeout, clock=Clock()),
        max_retries,
        need=need,
        retry_overloaded=retry_overloaded,
        rng=lambda: 1.0,
    )


def _fail(state: RetryState, failure: Failure) -> tuple[object, str]:
    state.started()
    decision = state.after(failure)
    return decision.delay, decision.reason


SERVER = Failure(ServerError("boom", status_code=502), retryable=True)
REFUSED = Failure(TaskFailedError("Worker pool overloaded: 5 active"), True, overloaded=True)


def test_ordinary_failures_back_off_then_give_up_after_max_retries() -> None:
    state = _state(max_retries=2)
    assert _fail(state, SERVER) == (0.5, "")
    assert _fail(state, SERVER) == (1.0, "")
    assert _fail(state, SERVER) == (None, GIVE_UP_EXHAUSTED)
    assert state.attempts == 3


def test_a_failure_the_policy_forbids_is_never_retried() -> None:
    state = _state()
    assert _fail(state, Failure(SERVER.error, retryable=False)) == (None, GIVE_UP_NOT_RETRYABLE)


def test_max_retries_zero_disables_every_retry_pool_refusals_included() -> None:
    assert _fail(_state(max_retries=0), SERVER)[0] is None
    assert _fail(_state(max_retries=0), REFUSED)[0] is None


def test_pool_refusals_have_their_own_allowance() -> None:
    state = _state(timeout=1000.0, max_retries=1)
    delays = [_fail(state, REFUSED)[0] for _ in range(MAX_OVERLOAD_RETRIES)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    assert _fail(state, REFUSED) == (None, GIVE_UP_EXHAUSTED)
    # ... and they did not use up max_retries: one ordinary retry is still allowed.
    fresh = _state(timeout=1000.0, max_retries=1)
    for _ in range(3):
        _fail(fresh, REFUSED)
    assert _fail(fresh, SERVER) == (0.5, "")


def test_retry_overloaded_false_hands_the_refusal_back() -> None:
    state = _state(retry_overloaded=False)
    assert _fail(state, REFUSED) == (None, GIVE_UP_NOT_RETRYABLE)
    assert state.overloads == 1


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    limited = Failure(RateLimitError("slow down", status_code=429, retry_after=3.0), True)
    assert _fail(_state(), limited) == (3.0, "")
    too_long = Failure(RateLimitError("later", status_code=429, retry_after=61.0), True)
    assert _fail(_state(), too_long) == (None, GIVE_UP_RETRY_AFTER)


def test_a_sleep_that_leaves_no_useful_attempt_gives_up() -> None:
    state = _state(timeout=0.6, need=0.25)
    assert _fail(state, SERVER) == (None, GIVE_UP_DEADLINE)  # 0.5 s sleep leaves 0.1 s


def test_without_a_deadline_only_the_counts_limit() -> None:
    state = RetryState(Deadline(None), 1, rng=lambda: 1.0)
    assert _fail(state, SERVER) == (0.5, "")
    assert _fail(state, SERVER) == (None, GIVE_UP_EXHAUSTED)
