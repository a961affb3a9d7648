"""The typed results behave as the plain dicts users index today, and parse strictly."""

from __future__ import annotations

import copy
import json
import pickle
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import claude_client as cc
from claude_client import _models

from .conftest import CHAT_BODY, HEALTH_BODY, TASK_BODY, USAGE_BODY


def test_response_is_a_mapping_equal_to_its_json() -> None:
    r = _models.parse_response(copy.deepcopy(CHAT_BODY))
    assert r == CHAT_BODY and r == CHAT_BODY
    assert dict(r)["id"] == "msg_1" and set(r) == set(CHAT_BODY) and len(r) == len(CHAT_BODY)
    assert r.get("missing", 7) == 7 and "content" in r and "nope" not in r
    assert r["usage"] == CHAT_BODY["usage"] and isinstance(r["usage"], cc.Usage)
    assert r["usage"] is r.usage  # nested wrappers are cached
    assert json.loads(json.dumps(r.to_dict())) == CHAT_BODY
    assert r != {"id": "other"} and r != 3
    assert "Response(" in repr(r) and "Hello there" in repr(r)
    with pytest.raises(KeyError):
        r["nope"]
    with pytest.raises(TypeError):
        r["content"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        hash(r)


def test_results_are_read_only_dicts_that_json_dumps_exactly() -> None:
    r = _models.parse_response(copy.deepcopy(CHAT_BODY))
    assert isinstance(r, dict) and isinstance(r["usage"], dict)
    assert json.dumps(r) == json.dumps(CHAT_BODY)  # the service's JSON, key order kept
    assert r.usage.total_tokens == CHAT_BODY["usage"]["total_tokens"]
    assert json.dumps(r) == json.dumps(CHAT_BODY)  # still so once "usage" is wrapped
    assert {**r} == CHAT_BODY and dict(r) == CHAT_BODY and r.copy() == CHAT_BODY
    mutable = r.copy()
    mutable["content"] = "changed"  # a plain dict: the result is untouched
    assert type(mutable) is dict and r.content == CHAT_BODY["content"]
    assert r.to_dict() == CHAT_BODY and type(r.to_dict()["usage"]) is dict
    mutators: list[Any] = [
        lambda: r.__setitem__("id", "x"),
        lambda: r.__delitem__("id"),
        lambda: r.update(id="x"),
        lambda: r.pop("id"),
        lambda: r.popitem(),
        lambda: r.setdefault("new", 1),
        r.clear,
    ]
    for mutate in mutators:
        with pytest.raises(TypeError, match="Response is read-only"):
            mutate()
    with pytest.raises(TypeError, match="read-only"):
        r |= {"id": "x"}
    assert r == CHAT_BODY
    for clone in (pickle.loads(pickle.dumps(r)), copy.copy(r), copy.deepcopy(r)):
        assert type(clone) is cc.Response and clone == r and clone.usage == r.usage
        assert isinstance(clone["usage"], cc.Usage)
    batch = _models.parse_batch_response(
        {
            "total": 1,
            "completed": 1,
            "failed": 0,
            "total_cost": 0.0,
            "total_tokens": 3,
            "results": [{"prompt": "p", "status": "completed", "usage": CHAT_BODY["usage"]}],
        }
    )
    assert batch.results[0].usage is not None and batch["results"] is batch.results
    assert json.loads(json.dumps(batch))["results"][0]["usage"] == CHAT_BODY["usage"]
    # A result built by hand has no response behind it.
    assert r.request_id is None and dict(r.http_headers) == {}


def test_task_result_nested_access() -> None:
    t = _models.parse_task_result(copy.deepcopy(TASK_BODY))
    assert t["result"]["summary"] == t.result.summary == t.summary == "Wrote tests"
    assert t["usage"]["total_cost"] == t.usage.total_cost == 0.05
    assert t.get("artifacts", [])[0]["path"] == t.artifacts[0].path == "tests/test_x.py"
    assert t["artifacts"] == TASK_BODY["artifacts"]
    assert t.execution_log[0]["step"] == 1
    empty = _models.parse_task_result(
        {"task_id": "t", "status": "timeout", "result": {}, "usage": {}}
    )
    assert empty.artifacts == [] and empty.usage.total_cost is None
    assert empty.get("artifacts", []) == []


def test_usage_stats_by_model_both_ways() -> None:
    s = _models.parse_usage(copy.deepcopy(USAGE_BODY))
    assert s.by_model["haiku"]["tokens"] == s.by_model["haiku"].tokens == 1000
    assert s["by_model"]["sonnet"]["cost"] == s["by_model"]["sonnet"].cost == 0.5
    assert {k: dict(v) for k, v in s.by_model.items()} == USAGE_BODY["by_model"]
    none = _models.parse_usage({**USAGE_BODY, "limit": None, "remaining": None})
    assert none.limit is None and none.remaining is None


def test_health_services() -> None:
    h = _models.parse_health(copy.deepcopy(HEALTH_BODY))
    assert h["services"]["claude_cli"]["status"] == h.services["claude_cli"].status == "ok"


def test_pickle_round_trip() -> None:
    r = _models.parse_response(copy.deepcopy(CHAT_BODY))
    again = pickle.loads(pickle.dumps(r))
    assert again == r and again.usage.total_tokens == 5


def batch_body(n: int) -> dict[str, Any]:
    return {
        "total": n,
        "completed": n,
        "failed": 0,
        "results": [
            {
                "id": f"id-{i}",
                "prompt": f"prompt number {i}",
                "status": "completed",
                "content": f"answer number {i} " * 4,
                "usage": {"input_tokens": 3, "output_tokens": 8, "total_tokens": 11},
                "cost": 0.00001,
                "error": None,
            }
            for i in range(n)
        ],
        "total_cost": 0.00001 * n,
        "total_tokens": 11 * n,
    }


def test_batch_from_json_and_access() -> None:
    raw = json.dumps(batch_body(3)).encode()
    b = cc.BatchResponse.from_json(raw)
    assert b.total == 3 and b.results[2].id == "id-2" and b["results"][2]["id"] == "id-2"
    assert b.results[0].usage is not None and b.results[0].usage.total_tokens == 11
    assert b.results[0].ok
    with pytest.raises(cc.ResponseValidationError, match="not JSON"):
        cc.BatchResponse.from_json(b"<html>")


def test_batch_parse_memory_is_close_to_json_loads() -> None:
    raw = json.dumps(batch_body(10_000)).encode()

    def peak(fn: Any) -> int:
        tracemalloc.start()
        try:
            result = fn()
            for item in getattr(result, "results", []):  # touch every result
                _ = item.content
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    floor = peak(lambda: json.loads(raw))
    ours = peak(lambda: cc.BatchResponse.from_json(raw))
    assert ours <= 1.5 * floor


SHAPE_ERRORS = [
    ("batch", _models.parse_batch_response, {"total": 1}),
    ("batch-item", _models.parse_batch_response, {**batch_body(1), "results": [{"prompt": 1}]}),
    ("batch-usage", _models.parse_batch_response,
     {**batch_body(1), "results": [{"prompt": "p", "status": "s", "usage": "u"}]}),
    ("chat-cost", _models.parse_response, {**CHAT_BODY, "cost": "1"}),
    ("chat-bool-tokens", _models.parse_response,
     {**CHAT_BODY, "usage": {"input_tokens": True, "output_tokens": 1, "total_tokens": 1}}),
    ("chat-choices", _models.parse_response,
     {"id": "x", "model": "m", "choices": [], "usage": {}}),
    ("task-result", _models.parse_task_result, {**TASK_BODY, "result": "done"}),
    ("usage-total", _models.parse_usage, {**USAGE_BODY, "total_tokens": None}),
    ("ready", _models.parse_ready, {"ready": "yes"}),
    ("route", _models.parse_route, {"reasoning": "x"}),
    ("process", _models.parse_process, {"content": "x"}),
    ("caps", _models.parse_capabilities, {"agents": [1], "skills": []}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("parse", "body"), [s[1:] for s in SHAPE_ERRORS], ids=[s[0] for s in SHAPE_ERRORS]
)
def test_shape_errors_are_response_validation_errors(parse: Any, body: Any) -> None:
    with pytest.raises(cc.ResponseValidationError) as info:
        parse(body)
    assert "unexpected response shape" in str(info.value)
    assert len(str(info.value)) < 600


PARSERS = [
    _models.parse_response,
    _models.parse_task_result,
    _models.parse_batch_response,
    _models.parse_usage,
    _models.parse_health,
    _models.parse_ready,
    _models.parse_route,
    _models.parse_capabilities,
    _models.parse_process,
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(
        st.sampled_from(
            ["id", "model", "content", "usage", "status", "result", "results", "prompt",
             "total", "by_model", "tokens", "cost", "ready", "agents", "task_id", "x"]
        ),
        children,
        max_size=6,
    ),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(body=json_values)
def test_parsers_never_raise_anything_but_ours(body: Any) -> None:
    for parse in PARSERS:
        try:
            result = parse(body)
        except cc.ResponseValidationError:
            continue
        # whatever parsed must also be readable through its typed properties
        for name in dir(type(result)):
            if isinstance(getattr(type(result), name, None), property):
                getattr(result, name)
