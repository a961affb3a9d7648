"""The fake's deterministic "model" and the service's decision rules (BEHAVIOUR.md §5, §9).

Pure functions, so tests can compute what the fake answers:

* the answer to a conversation is derived from its **last user message** ``p``:
  ``"Answer: " + " ".join(p.split())`` (every answer echoes its own prompt);
* ``input_tokens`` = words of the prompt as the service sends it to the model (the
  flattened conversation, §5.3), at least 1; ``output_tokens`` = words of the answer;
* ``cost`` from the price table for the three exact aliases, 0.0 for any other name on the
  CLI paths (``cost``), sonnet rates for other names on the SDK paths (``sdk_cost``);
* automatic model choice: :func:`select_model` (keywords, context size, budget, §5.1);
* ``/v1/process`` model-name mapping: :func:`map_process_model` (§5.2).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

#: USD per million tokens (input, output), BEHAVIOUR.md §9.
PRICES: dict[str, tuple[float, float]] = {
    "haiku": (0.25, 1.25),
    "sonnet": (3.0, 15.0),
    "opus": (15.0, 75.0),
}
MODELS: tuple[str, ...] = ("haiku", "sonnet", "opus")

#: What the chat tool path sends to the Anthropic API for an alias (§5.2); the fake's
#: choice of ids (the service's mapping is an implementation detail of its deployment).
API_MODEL_IDS: dict[str, str] = {
    "haiku": "claude-3-5-haiku-20241022",
    "sonnet": "claude-sonnet-4-20250514",
    "opus": "claude-opus-4-20250514",
}

SIMPLE_KEYWORDS = ("list", "format", "count", "show", "get", "create", "add")
COMPLEX_KEYWORDS = (
    "analyze",
    "architect",
    "debug",
    "design",
    "implement",
    "optimize",
    "refactor",
    "review",
    "test",
    "diagnose",
    "strategy",
)
#: Remaining budget used for agentic tasks' model choice (§5.1: 1,000,000).
TASK_REMAINING = 1_000_000

REASON_BUDGET = "Budget constraint: Insufficient budget forces Haiku"
REASON_CONTEXT = "Context constraint: Large context requires Opus"
REASON_SIMPLE = "Simple prompt with basic keywords → Haiku"
REASON_COMPLEX = "Complex reasoning keywords with sufficient budget → Sonnet"
REASON_COMPLEX_LIMITED = "Complex keywords but limited budget → Haiku"
REASON_DEFAULT = "Medium complexity task → Sonnet (default)"

_TOKEN_RE = re.compile(r"\S+\s*")


def words(text: str) -> list[str]:
    return text.split()


def count_tokens(text: str) -> int:
    return len(words(text))


# --------------------------------------------------------------------------- answers


def content_text(content: Any) -> str:
    """Text of a message ``content`` (a string, content blocks, or None -> "")."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = []
        for block in content:
            if isinstance(block, Mapping):
                text = block.get("text")
                if isinstance(text, str):
                    parts.append(text)
        return " ".join(parts)
    return str(content)


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text the fake answers: the last ``user`` message (else the last message)."""
    for m in reversed(messages):
        if m.get("role") == "user":
            return content_text(m.get("content"))
    return content_text(messages[-1].get("content")) if messages else ""


def expected_answer(prompt: str, answer_words: Optional[int] = None) -> str:
    """The fake's answer to ``prompt`` (the last user message of the conversation).

    With ``answer_words`` (see ``FakeService.set_answer_words``) the answer's words are
    repeated cyclically until it has exactly that many words.
    """
    answer = "Answer: " + " ".join(words(prompt))
    if answer_words is not None:
        base = words(answer)
        answer = " ".join(base[i % len(base)] for i in range(max(1, answer_words)))
    return answer


def stream_chunks(answer: str) -> list[str]:
    """One word (+ its trailing whitespace) per piece, so ``"".join(...) == answer``."""
    return _TOKEN_RE.findall(answer) or ([answer] if answer else [])


def usage_of(prompt: str, answer: str) -> dict[str, int]:
    """Usage of one model run: words of the prompt sent (>= 1) and of the answer."""
    input_tokens = max(1, count_tokens(prompt))
    output_tokens = count_tokens(answer)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def flatten(messages: Iterable[Mapping[str, Any]]) -> str:
    """``"role: content"`` of every message joined by blank lines (the socket's form)."""
    return "\n\n".join(
        f"{m.get('role', 'user')}: {content_text(m.get('content'))}" for m in messages
    )


def usage_for(messages: Sequence[Mapping[str, Any]], answer: str) -> dict[str, int]:
    """Usage of a conversation flattened as :func:`flatten` does."""
    return usage_of(flatten(messages), answer)


def cost(model: str, input_tokens: int, output_tokens: int) -> float:
    """CLI-path cost: the price table knows only the three exact aliases (others: 0.0)."""
    if model not in PRICES:
        return 0.0
    price_in, price_out = PRICES[model]
    return round((input_tokens * price_in + output_tokens * price_out) / 1_000_000, 8)


def sdk_cost(model: str, input_tokens: int, output_tokens: int) -> float:
    """SDK-path cost: aliases at their price, any other name at sonnet rates."""
    return cost(model if model in PRICES else "sonnet", input_tokens, output_tokens)


def cli_accepts(model: str) -> bool:
    """Whether the fake's CLI accepts a model name: the aliases and full ``claude-`` ids
    (deployment-dependent in the service; ``auto``, ``gpt-4``, ``""`` are rejected)."""
    return model in MODELS or (model.startswith("claude-") and len(model) > len("claude-"))


# --------------------------------------------------------------------------- §5.3 prompts


def chat_content_text(content: Any) -> str:
    """Chat CLI path: text blocks joined by single spaces, other blocks dropped; ``None``
    becomes the text ``None``."""
    if isinstance(content, list):
        return " ".join(
            str(b.get("text", ""))
            for b in content
            if isinstance(b, Mapping) and b.get("type") == "text"
        )
    return str(content)


def chat_prompt(messages: Sequence[Mapping[str, Any]]) -> str:
    """The chat CLI path's flattened prompt: ``"<role>: <text>"`` joined by blank lines."""
    return "\n\n".join(
        f"{m.get('role', 'user')}: {chat_content_text(m.get('content'))}" for m in messages
    )


PROCESS_ROLE_PREFIX = {"system": "System: ", "user": "User: ", "assistant": "Assistant: "}


def process_prompt(messages: Sequence[Mapping[str, Any]]) -> str:
    """``/v1/process`` CLI prompt: ``System:/User:/Assistant:`` + content, blank-line joined,
    ``tool`` messages dropped, list content inserted as its Python repr."""
    parts = []
    for m in messages:
        prefix = PROCESS_ROLE_PREFIX.get(str(m.get("role")))
        if prefix is None:
            continue
        content = m.get("content")
        parts.append(prefix + (content if isinstance(content, str) else repr(content)))
    return "\n\n".join(parts)


def tool_path_budget_words(messages: Sequence[Mapping[str, Any]]) -> int:
    """Chat tool path: Σ words of each message's content as text."""
    return sum(count_tokens(str(m.get("content") or "")) for m in messages)


# --------------------------------------------------------------------------- §5.1 routing


def effective_remaining(remaining: Optional[int]) -> float:
    """``R`` of §5.1: null (no limit) and exactly 0 both become +inf."""
    return math.inf if remaining is None or remaining == 0 else float(remaining)


def _is_simple(prompt: str) -> bool:
    low = prompt.lower()
    return len(prompt) < 100 and any(k in low for k in SIMPLE_KEYWORDS)


def _is_complex(prompt: str) -> bool:
    low = prompt.lower()
    return any(k in low for k in COMPLEX_KEYWORDS)


def select_model(prompt: str, context: int, remaining: Optional[int]) -> str:
    """The service's automatic model choice ``select(prompt, context, R)`` (§5.1);
    ``remaining`` is the month's remaining tokens of the project (None = no limit)."""
    return route(prompt, context, remaining)[0]


def route(prompt: str, context_size: int = 0, remaining: Optional[int] = None) -> tuple[str, str]:
    """``(recommended_model, reasoning)`` as ``POST /v1/route`` answers (§4, §5.1)."""
    r = effective_remaining(remaining)
    reasons: list[str] = []
    model: Optional[str] = None
    if r < 1000:
        reasons.append(REASON_BUDGET)
        model = "haiku"
    elif context_size > 10000:
        reasons.append(REASON_CONTEXT)
        model = "opus"
    if _is_simple(prompt):
        reasons.append(REASON_SIMPLE)
        model = model or "haiku"
    if _is_complex(prompt):
        if r >= 5000:
            reasons.append(REASON_COMPLEX)
            model = model or "sonnet"
        else:
            reasons.append(REASON_COMPLEX_LIMITED)
            model = model or "haiku"
    if not reasons:
        reasons.append(REASON_DEFAULT)
    return model or "sonnet", " | ".join(reasons)


def chat_context(max_tokens: Optional[int], prompt: str) -> int:
    """Chat's context size for routing: ``max_tokens`` if set and non-zero, else words."""
    return max_tokens if max_tokens else count_tokens(prompt)


def task_model(description: str, agents: Sequence[str], skills: Sequence[str]) -> str:
    """The model of an agentic task without ``model`` (§5.1, caller "task")."""
    if agents or skills:
        return "sonnet"
    return select_model(description, len(description), TASK_REMAINING)


# --------------------------------------------------------------------------- §5.2 process


def map_process_model(model_name: str) -> str:
    """``/v1/process``: ``model_name`` -> alias, first matching substring rule."""
    name = model_name.lower()
    if "haiku" in name:
        return "haiku"
    if "opus" in name:
        return "opus"
    if "sonnet" in name or "claude" in name:
        return "sonnet"
    if any(k in name for k in ("gpt-3.5", "mini", "nano")):
        return "haiku"
    if any(k in name for k in ("gpt-4-turbo", "gpt-4o", "o1")):
        return "opus"
    if any(k in name for k in ("gpt-4", "gpt-5")):
        return "sonnet"
    if "gemini" in name:
        return "haiku" if "flash" in name else "sonnet"
    return "sonnet"


# --------------------------------------------------------------------------- §7 errors


def cli_category(stderr: str) -> str:
    """The ``X-Error-Category`` the service derives from a CLI's stderr (§7)."""
    low = stderr.lower()
    if "rate limit" in low or "429" in low:
        return "rate_limited"
    if "overloaded" in low or "529" in low:
        return "overloaded"
    if "timed out" in low or "timeout" in low:
        return "timeout"
    if "server error" in low or " 500 " in low or "internal server error" in low:
        return "upstream_error"
    if "authentication" in low or "unauthorized" in low or "401" in low:
        return "auth_error"
    return "cli_error"
