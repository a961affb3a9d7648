"""The fake's deterministic "model": answers, token counts, prices and routing.

Everything here is a pure function, so tests can compute what the fake will answer:

* the answer to a conversation is derived from its **last user message** ``p``:
  ``"Answer: " + " ".join(p.split())`` (so every answer echoes its own prompt);
* ``input_tokens`` = number of whitespace-separated words of the flattened prompt
  (``"role: content"`` of every message joined by blank lines, as the service's
  WebSocket flattens them), at least 1; ``output_tokens`` = words of the answer;
* ``cost`` = ``(input_tokens * in_price + output_tokens * out_price) / 1e6`` with
  the service's price table (USD per million tokens), rounded to 8 decimals;
* ``model`` ``None``/``"auto"`` is resolved by :func:`route` (prompt length).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

#: USD per million tokens (input, output), from BEHAVIOUR.md.
PRICES: dict[str, tuple[float, float]] = {
    "haiku": (0.25, 1.25),
    "sonnet": (3.0, 15.0),
    "opus": (15.0, 75.0),
}
MODELS: tuple[str, ...] = ("haiku", "sonnet", "opus")

#: Routing thresholds (words of prompt): up to HAIKU_MAX_WORDS -> haiku, up to
#: SONNET_MAX_WORDS -> sonnet, longer -> opus. A large ``context_size`` moves up.
HAIKU_MAX_WORDS = 20
SONNET_MAX_WORDS = 200
HAIKU_MAX_CONTEXT = 10_000
SONNET_MAX_CONTEXT = 100_000


def words(text: str) -> list[str]:
    return text.split()


def content_text(content: Any) -> str:
    """Text of a message ``content`` (a string, content blocks, or None)."""
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


def flatten(messages: Iterable[Mapping[str, Any]]) -> str:
    """``"role: content"`` of every message joined by blank lines (STREAMING.md)."""
    return "\n\n".join(
        f"{m.get('role', 'user')}: {content_text(m.get('content'))}" for m in messages
    )


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
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
    """How the socket cuts an answer into ``token`` frames, as the service does:
    consecutive pieces of ``max(1, len(answer) // 20)`` characters (20 to 39 frames; one
    per character under 20 characters; none for an empty answer), so
    ``"".join(stream_chunks(a)) == a``."""
    size = max(1, len(answer) // 20)
    return [answer[i : i + size] for i in range(0, len(answer), size)]


def count_tokens(text: str) -> int:
    return len(words(text))


def cost(model: str, input_tokens: int, output_tokens: int) -> float:
    price_in, price_out = PRICES.get(model, PRICES["sonnet"])
    return round((input_tokens * price_in + output_tokens * price_out) / 1_000_000, 8)


def route(prompt: str, context_size: int = 0) -> tuple[str, str]:
    """(model, reasoning) the auto-router picks, by prompt length and context size."""
    n = count_tokens(prompt)
    if n <= HAIKU_MAX_WORDS and context_size <= HAIKU_MAX_CONTEXT:
        return "haiku", f"Short prompt ({n} words) with small context: haiku is enough"
    if n <= SONNET_MAX_WORDS and context_size <= SONNET_MAX_CONTEXT:
        return "sonnet", f"Medium prompt ({n} words, context {context_size}): sonnet"
    return "opus", f"Long prompt ({n} words, context {context_size}): opus"


def resolve_model(model: Optional[str], prompt: str, context_size: int = 0) -> str:
    if model is None or model == "auto":
        return route(prompt, context_size)[0]
    return model


def usage_for(messages: Sequence[Mapping[str, Any]], answer: str) -> dict[str, int]:
    input_tokens = max(1, count_tokens(flatten(messages)))
    output_tokens = count_tokens(answer)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }
