"""A small request router over ``httpx2.MockTransport`` (respx does not support httpx2).

It keeps the part of respx's API these tests use, without patching anything: a
client sends through it only when given ``transport=router.transport`` (the facade
``runner`` fixture does that for every client it makes)::

    router = MockRouter("http://svc.test")
    route = router.post("/v1/chat/completions").respond(200, json=body)
    route = router.get("/health").mock(side_effect=[httpx2.Response(503), ok])
    client = ClaudeClient(base_url, api_key=key, transport=router.transport)
    ...
    route.call_count, route.called, route.calls.last.request, router.calls

A route matches on method and URL path (the query is ignored). ``side_effect`` is a
callable taking the request (returns a response or raises), an exception (class or
instance) to raise, or an iterable whose items are used one per call. A request no
route matches fails the test with an ``AssertionError`` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Optional, Union

import httpx2

__all__ = ["Call", "CallList", "MockRouter", "Route"]


@dataclass(frozen=True)
class Call:
    """One request a route answered, and what it answered (``None`` when it raised)."""

    request: httpx2.Request
    response: Optional[httpx2.Response]


class CallList(list[Call]):
    """The calls of a route or router, oldest first."""

    @property
    def last(self) -> Call:
        return self[-1]

    @property
    def call_count(self) -> int:
        return len(self)


SideEffect = Union[
    Callable[[httpx2.Request], httpx2.Response],
    BaseException,
    type[BaseException],
    Iterable[Union[httpx2.Response, BaseException, type[BaseException]]],
]


class Route:
    """Requests of one method and path, answered by a fixed response or a side effect."""

    def __init__(self, method: Optional[str], path: Optional[str]) -> None:
        self.method = method.upper() if method else None
        self.path = path
        self.calls = CallList()
        self._response: Optional[httpx2.Response] = None
        self._effect: Any = None
        self._items: Optional[Iterator[Any]] = None

    def matches(self, request: httpx2.Request, base_path: str) -> bool:
        if self.method is not None and request.method != self.method:
            return False
        return self.path is None or request.url.path == base_path + self.path

    def respond(
        self,
        status_code: int = 200,
        *,
        json: Any = None,
        content: Optional[bytes | str] = None,
        headers: Optional[dict[str, str]] = None,
    ) -> Route:
        """Answer every call with this response."""
        kwargs: dict[str, Any] = {"headers": headers}
        if json is not None:
            kwargs["json"] = json
        if content is not None:
            kwargs["content"] = content
        return self.mock(return_value=httpx2.Response(status_code, **kwargs))

    def mock(
        self,
        return_value: Optional[httpx2.Response] = None,
        side_effect: Optional[SideEffect] = None,
    ) -> Route:
        """Answer with ``return_value``, or by ``side_effect`` (see the module docstring)."""
        self._response = return_value
        self._effect = side_effect
        is_iterable = isinstance(side_effect, Iterable) and not isinstance(
            side_effect, (BaseException, type)
        )
        self._items = iter(side_effect) if is_iterable else None  # type: ignore[arg-type]
        return self

    @property
    def return_value(self) -> Optional[httpx2.Response]:
        return self._response

    @return_value.setter
    def return_value(self, response: Optional[httpx2.Response]) -> None:
        self._response = response

    @property
    def side_effect(self) -> Any:
        return self._effect

    @side_effect.setter
    def side_effect(self, effect: Optional[SideEffect]) -> None:
        self.mock(return_value=self._response, side_effect=effect)

    @property
    def call_count(self) -> int:
        return len(self.calls)

    @property
    def called(self) -> bool:
        return bool(self.calls)

    def answer(self, request: httpx2.Request) -> httpx2.Response:
        effect = next(self._items) if self._items is not None else self._effect
        # What was sent, as sent: a retry may reuse the request object and change its
        # headers (a key provider is asked per attempt), as respx's recorded copies showed.
        sent = _snapshot(request)
        try:
            response = self._resolve(effect, request)
        except BaseException:
            self.calls.append(Call(sent, None))
            raise
        self.calls.append(Call(sent, response))
        return response

    def _resolve(self, effect: Any, request: httpx2.Request) -> httpx2.Response:
        if isinstance(effect, BaseException) or (
            isinstance(effect, type) and issubclass(effect, BaseException)
        ):
            raise effect
        if isinstance(effect, httpx2.Response):
            return _fresh(effect)
        if callable(effect):
            result: httpx2.Response = effect(request)
            return result
        if self._response is not None:
            return _fresh(self._response)
        return httpx2.Response(200)


def _snapshot(request: httpx2.Request) -> httpx2.Request:
    """A copy of ``request`` (read already) that later changes to it do not reach."""
    copy = httpx2.Request(
        request.method, request.url, headers=request.headers.copy(), content=request.content
    )
    copy.extensions = dict(request.extensions)
    return copy


def _fresh(response: httpx2.Response) -> httpx2.Response:
    """A copy of a canned response whose body is still to read, as off the wire.

    Each call gets its own (a side-effect list may repeat one object), with the raw
    bytes as sent (a ``content-encoding`` body is decoded by the client, not here).
    """
    return httpx2.Response(response.status_code, headers=response.headers, stream=response.stream)


class MockRouter:
    """Routes for one base URL; :attr:`transport` sends requests to them."""

    def __init__(self, base_url: str = "") -> None:
        self.base_path = httpx2.URL(base_url).path.rstrip("/") if base_url else ""
        self.routes: list[Route] = []
        self.calls = CallList()
        self.transport = httpx2.MockTransport(self.handle)
        """Works as a sync and an async transport."""

    def route(self, *, method: Optional[str] = None, path: Optional[str] = None) -> Route:
        """The route for ``method`` + ``path`` (the same one when asked again, as respx)."""
        for route in self.routes:
            if route.method == (method.upper() if method else None) and route.path == path:
                return route
        route = Route(method, path)
        self.routes.append(route)
        return route

    def request(self, method: str, path: str) -> Route:
        return self.route(method=method, path=path)

    def get(self, path: str) -> Route:
        return self.route(method="GET", path=path)

    def post(self, path: str) -> Route:
        return self.route(method="POST", path=path)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        for route in self.routes:  # in the order they were added, as respx
            if route.matches(request, self.base_path):
                try:
                    response = route.answer(request)
                finally:
                    self.calls.append(route.calls[-1])
                return response
        raise AssertionError(f"no mocked route for {request.method} {request.url}")
