"""``RawResponse``: what ``client.with_raw_response.<method>(...)`` returns.

The HTTP response of one call (status, headers, request id, method, URL, body)
together with the typed result the plain method returns (:meth:`RawResponse.parse`).
Errors still raise as they do without it; the body was read and parsed already.
"""

from __future__ import annotations

import datetime
from typing import Any, Generic, Optional, TypeVar

import httpx2

from ._models import ResponseHeaders, decode_json, request_id_of

__all__ = ["RawResponse"]

T = TypeVar("T")


class RawResponse(Generic[T]):
    """The HTTP response of a call and its parsed result.

    ``status_code``, ``headers`` (read-only, case-insensitive), ``request_id``
    (``X-Request-ID``), ``method``, ``url``, ``elapsed``, ``content`` / ``text`` /
    ``json()``, and ``parse()``: the result the method returns without
    ``with_raw_response``. When the call was retried, this is the last attempt's
    response. ``http_response`` is the underlying :class:`httpx2.Response`.
    """

    __slots__ = ("_elapsed", "_parsed", "http_response")

    def __init__(
        self,
        http_response: httpx2.Response,
        parsed: T,
        *,
        elapsed: Optional[datetime.timedelta] = None,
    ) -> None:
        self.http_response = http_response
        self._parsed = parsed
        self._elapsed = elapsed

    @property
    def status_code(self) -> int:
        """The HTTP status code (2xx: error statuses raise instead)."""
        return self.http_response.status_code

    @property
    def headers(self) -> ResponseHeaders:
        """The response headers (read-only; names are case-insensitive)."""
        return ResponseHeaders(self.http_response.headers)

    @property
    def request_id(self) -> Optional[str]:
        """The service's ``X-Request-ID`` (or ``X-Forgg-CCA-Request-Id``), if sent."""
        return request_id_of(self.http_response.headers)

    @property
    def method(self) -> str:
        """The request's HTTP method."""
        return self.http_response.request.method

    @property
    def url(self) -> str:
        """The full URL requested (query included)."""
        return str(self.http_response.request.url)

    @property
    def elapsed(self) -> Optional[datetime.timedelta]:
        """Time from sending the last attempt to the end of its body (``None`` if unknown)."""
        return self._elapsed

    @property
    def content(self) -> bytes:
        """The body as bytes (decompressed)."""
        return self.http_response.content

    @property
    def text(self) -> str:
        """The body as text."""
        return self.http_response.text

    def json(self) -> Any:
        """The body's JSON (:class:`ResponseValidationError` if it is not JSON)."""
        return decode_json(self.http_response.content, f"{self.method} {self.url}")

    def parse(self) -> T:
        """The typed result, as the method returns it without ``with_raw_response``."""
        return self._parsed

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] {self.method} {self.url}>"
