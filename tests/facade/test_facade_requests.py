"""Request building: pure, keyword-only builders returning the generated endpoint itself."""

from __future__ import annotations

import inspect

import pytest

import claude_client as cc
from claude_client import _requests
from claude_client.generated.api.api import chat_completion, execute_agentic_task, get_usage
from claude_client.generated.api.default import health

from .conftest import BASE, KEY

BUILDERS = [getattr(_requests, name) for name in _requests.__all__ if name.startswith("build_")]


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_builders_take_the_client_then_keywords_only(builder: object) -> None:
    params = list(inspect.signature(builder).parameters.values())  # type: ignore[arg-type]
    assert params[0].name == "ctx"
    assert len(params) > 1
    for param in params[1:]:
        assert param.kind is inspect.Parameter.KEYWORD_ONLY, (builder, param.name)
        assert param.annotation != inspect.Parameter.empty, (builder, param.name)


def test_swapped_prompt_and_model_cannot_be_passed_positionally() -> None:
    with cc.ClaudeClient(BASE, api_key=KEY) as client, pytest.raises(TypeError):
        _requests.build_complete(client, "haiku", "Say hello")  # type: ignore[misc]


def test_a_call_names_the_generated_endpoint_module_and_sends_nothing() -> None:
    with cc.ClaudeClient(BASE, api_key=KEY, timeout=20) as client:
        chat = _requests.build_complete(
            client,
            prompt="Say hello",
            messages=None,
            model="haiku",
            timeout=12,
            project_id=None,
            max_tokens=None,
            working_directory=None,
            allowed_tools=None,
            tools=None,
            tool_choice=None,
            max_retries=0,
            extra_headers={"X-Trace": "t"},
        )
        assert chat.endpoint is chat_completion
        assert chat.kwargs["body"].to_dict()["model"] == "haiku"
        # timeout=12 is the deadline; the service is asked for 12 - 1 s (the margin)
        assert chat.kwargs["body"].to_dict()["timeout"] == 11
        assert chat.options.max_retries == 0 and chat.options.service_limit is not None
        assert chat.options.service_limit.sent == 11 and chat.options.deadline.timeout == 12
        assert chat.options.extra_headers == {"X-Trace": "t"}
        assert chat.options.api_key == KEY
        task = _requests.build_task(
            client,
            description="count files",
            allow_tools=["Bash"],
            allow_agents=None,
            allow_skills=None,
            timeout=30,
            max_cost=1.0,
            model=None,
            working_directory=None,
            project_id=None,
            max_retries=None,
            extra_headers=None,
        )
        assert task.endpoint is execute_agentic_task and task.options.task
        usage = _requests.build_usage(
            client,
            period="week",
            project_id=None,
            timeout=None,
            max_retries=None,
            extra_headers=None,
        )
        assert usage.endpoint is get_usage and usage.kwargs == {"period": "week"}
        probe = _requests.build_health(client, timeout=None, max_retries=None, extra_headers=None)
        assert probe.endpoint is health and probe.options.api_key is None


def test_bad_input_names_the_parameter_before_anything_is_built() -> None:
    with cc.ClaudeClient(BASE, api_key=KEY) as client:
        with pytest.raises(cc.InvalidInputError) as info:
            _requests.build_usage(
                client,
                period="year",
                project_id=None,
                timeout=None,
                max_retries=None,
                extra_headers=None,
            )
        assert info.value.param == "period"
