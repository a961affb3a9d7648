"""Configuration: constructor arguments first, then the environment, then defaults.

``CLAUDE_API_URL`` (default ``http://localhost:8006``), ``CLAUDE_API_KEY``,
``CLAUDE_TIMEOUT`` (seconds, default 300: agentic tasks are long), ``CLAUDE_LOG``
(see ``_logging``), and the proxy variables httpx2 honours (``HTTP_PROXY``,
``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``: :func:`environment_proxy`). Bad
values raise :class:`InvalidInputError` naming the parameter (or variable) at
construction, never at the first request.

API keys live in a :class:`KeyRing`, whose repr shows project names only; the keys
themselves leave it only to become an ``Authorization`` header.
"""

from __future__ import annotations

import ipaddress
import math
import os
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, Literal, NewType, Optional, Union, cast
from urllib.parse import urlsplit

from ._exceptions import AuthenticationError, InvalidInputError
from ._retry import DEFAULT_MAX_RETRIES

__all__ = [
    "BATCH_POLL",
    "CONNECT_TIMEOUT",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "HEALTH_READ_TIMEOUT",
    "MAX_COST_LIMIT",
    "MESSAGE_ROLES",
    "MODELS",
    "PERIODS",
    "PROVIDERS",
    "SERVICE_MARGIN_MAX",
    "SERVICE_MARGIN_MIN",
    "SERVICE_MARGIN_SHARE",
    "SERVICE_TIMEOUT_DEFAULT",
    "SERVICE_TIMEOUT_MAX",
    "SERVICE_TIMEOUT_MIN",
    "TASK_HTTP_MARGIN",
    "TASK_TIMEOUT_MAX",
    "USER_AGENT",
    "VERSION",
    "KeyRing",
    "environment_proxy",
    "resolve_base_url",
    "resolve_max_response_bytes",
    "resolve_max_retries",
    "resolve_proxy",
    "resolve_timeout",
]

# --------------------------------------------------------------------------- limits
# Every limit and default of the facade, in one place (BEHAVIOUR.md is their source).

VERSION = "0.1.0"
USER_AGENT = f"claude-code-client/{VERSION}"

MODELS = ("haiku", "sonnet", "opus")
"""The models a call may name (besides ``auto``, which lets the service route)."""
ModelName = Literal["auto", "haiku", "sonnet", "opus"]
"""A model alias; ``"auto"`` lets the service pick (the socket asks ``/v1/route``)."""
ModelId = NewType("ModelId", str)
"""A full Claude model id (``ModelId("claude-3-5-sonnet-20241022")``): REST chat, batch
and tasks send it as given and the service echoes it (priced at 0.0, BEHAVIOUR.md 5.2);
streams take aliases only. A distinct type so that a typo such as ``"haiku-3"`` fails the
type check instead of the call."""
PERIODS = ("month", "week", "day")
Period = Literal["day", "week", "month"]
"""A usage period."""
PROVIDERS = ("anthropic", "claudecode")
MESSAGE_ROLES = ("user", "assistant", "system", "tool")

SERVICE_TIMEOUT_DEFAULT = 30.0
"""The service's own limit of a chat / batch item when the body omits ``timeout``."""
SERVICE_TIMEOUT_MIN = 1.0
SERVICE_TIMEOUT_MAX = 300.0
"""The largest chat / batch-item ``timeout`` the service accepts."""
TASK_TIMEOUT_MAX = 600.0
SERVICE_MARGIN_SHARE = 0.05
SERVICE_MARGIN_MIN = 1.0
SERVICE_MARGIN_MAX = 5.0
"""The service is asked to give up 5 % of the call's deadline (1..5 s) before it ends."""
MAX_COST_LIMIT = 10.0
"""The largest ``max_cost`` (USD) of an agentic task."""
TASK_HTTP_MARGIN = 10.0
"""Seconds the service waits for a task beyond its ``timeout`` before it answers 500."""
HEALTH_READ_TIMEOUT = 5.0
"""Seconds ``batch()`` gives ``GET /health`` to report the pool's capacity."""
BATCH_POLL = 0.25
"""Seconds a sync ``batch()`` waits for an answer at a time (Ctrl-C lands in between)."""
CONNECT_TIMEOUT = 10.0
"""The most one connection attempt may take (the call's deadline caps it further)."""

DEFAULT_BASE_URL = "http://localhost:8006"
DEFAULT_TIMEOUT = 300.0
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""The largest response body (after decompression) a call accepts, and the largest
WebSocket frame a stream accepts: 32 MiB, far above any answer of the service."""

ProxySetting = Union[str, Literal[False], None]

KeyProvider = Callable[[], str]
"""A callable returning the current API key (rotating keys): called for each REST
attempt and each WebSocket connection, its result never kept past that attempt."""
KeySource = Union[str, KeyProvider]
ApiKey = Union[str, KeyProvider, Mapping[str, KeySource]]


def resolve_base_url(base_url: Optional[str]) -> str:
    """``base_url`` or ``CLAUDE_API_URL`` or the default, without a trailing slash."""
    param = "base_url"
    if base_url is None:
        base_url = os.environ.get("CLAUDE_API_URL") or DEFAULT_BASE_URL
        param = "CLAUDE_API_URL"
    if not isinstance(base_url, str):
        raise InvalidInputError(
            f"{param} must be a string such as 'http://localhost:8006', "
            f"not {type(base_url).__name__}",
            param=param,
        )
    url = base_url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInputError(
            f"{param} must be an http:// or https:// URL such as 'http://localhost:8006', "
            f"got {url!r}",
            param=param,
        )
    if parts.query or parts.fragment:
        raise InvalidInputError(f"{param} must not have a query or fragment", param=param)
    return url.rstrip("/")


def resolve_max_response_bytes(value: Optional[int]) -> int:
    """``max_response_bytes`` or :data:`DEFAULT_MAX_RESPONSE_BYTES` (an int >= 1024)."""
    if value is None:
        return DEFAULT_MAX_RESPONSE_BYTES
    if isinstance(value, bool) or not isinstance(value, int) or value < 1024:
        raise InvalidInputError(
            f"max_response_bytes must be an integer >= 1024 (bytes), got {value!r}",
            param="max_response_bytes",
        )
    return value


def _no_proxy_matches(entry: str, scheme: str, host: str, port: int) -> bool:
    """Whether one ``NO_PROXY`` entry covers the URL, by the rules httpx2 applies."""
    entry_scheme = "all"
    entry_port: Optional[int] = None
    if "://" in entry:
        parts = urlsplit(entry)
        entry_scheme, entry_host, entry_port = parts.scheme, parts.hostname or "", parts.port
    else:
        entry_host = entry.split("/")[0]  # "192.168.0.0/16" names the host 192.168.0.0
        if entry_host.startswith("[") or entry_host.count(":") > 1:
            entry_host = entry_host.strip("[]")
        elif ":" in entry_host:
            entry_host, _, port_text = entry_host.partition(":")
            entry_port = int(port_text) if port_text.isdigit() else None
        try:
            ipaddress.ip_address(entry_host)
        except ValueError:
            if entry_host.lower() != "localhost":
                # "example.com" covers it and its subdomains, ".example.com" subdomains only
                entry_host = "*" + entry_host
    if entry_scheme not in ("all", scheme) or (entry_port is not None and entry_port != port):
        return False
    entry_host = entry_host.lower()
    if entry_host.startswith("*."):
        return host.endswith(entry_host[1:]) and len(host) > len(entry_host) - 1
    if entry_host.startswith("*"):
        return host == entry_host[1:] or host.endswith("." + entry_host[1:])
    return host == entry_host


def environment_proxy(url: str) -> Optional[str]:
    """The proxy the environment names for ``url``, as httpx2 would choose it, or ``None``.

    ``HTTPS_PROXY`` / ``HTTP_PROXY`` (by the URL's scheme), else ``ALL_PROXY``; none
    when ``NO_PROXY`` covers the host (``*``, a host and its subdomains, ``.domain``
    for subdomains only, an IP address, ``localhost``). Lower-case names win, as in
    :func:`urllib.request.getproxies`.
    """
    info = urllib.request.getproxies()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    for entry in info.get("no", "").split(","):
        entry = entry.strip()
        if entry == "*":
            return None
        if entry and _no_proxy_matches(entry, scheme, host, port):
            return None
    for key in (scheme, "all"):
        value = info.get(key)
        if value:
            return value if "://" in value else f"http://{value}"
    return None


def resolve_proxy(proxy: ProxySetting, base_url: str) -> Optional[str]:
    """The proxy URL both REST and the WebSocket use for ``base_url``, or ``None``: direct.

    ``proxy=None`` (the default) follows the environment like httpx2
    (:func:`environment_proxy`); a URL (``http://``, ``https://``, ``socks5://``) is
    used as given; ``False`` means never a proxy, whatever the environment says.
    """
    if proxy is None:
        return environment_proxy(base_url)
    if proxy is False:
        return None
    if not isinstance(proxy, str) or "://" not in proxy or not urlsplit(proxy).hostname:
        shown = type(proxy).__name__ if not isinstance(proxy, str) else "a string without a host"
        raise InvalidInputError(
            "proxy must be a URL such as 'http://proxy.example:3128', False (no proxy) or "
            f"None (the environment's HTTP(S)_PROXY / ALL_PROXY / NO_PROXY), got {shown}",
            param="proxy",
        )
    return proxy.strip()


def _positive_seconds(value: object, param: str, *, upper: Optional[float] = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError(
            f"{param} must be a number of seconds, not {type(value).__name__}", param=param
        )
    seconds = float(value)
    if math.isnan(seconds) or seconds <= 0 or (upper is not None and seconds > upper):
        bound = f" and at most {upper:g}" if upper is not None else ""
        raise InvalidInputError(f"{param} must be > 0{bound} seconds, got {value!r}", param=param)
    return seconds


def resolve_timeout(timeout: Optional[float]) -> float:
    """``timeout`` or ``CLAUDE_TIMEOUT`` or 300 s (``math.inf`` is allowed: no deadline)."""
    if timeout is not None:
        return _positive_seconds(timeout, "timeout")
    env = os.environ.get("CLAUDE_TIMEOUT")
    if env is None or not env.strip():
        return DEFAULT_TIMEOUT
    try:
        value = float(env)
    except ValueError:
        raise InvalidInputError(
            f"CLAUDE_TIMEOUT must be a number of seconds, got {env!r}", param="CLAUDE_TIMEOUT"
        ) from None
    return _positive_seconds(value, "CLAUDE_TIMEOUT")


def resolve_max_retries(max_retries: Optional[int], param: str = "max_retries") -> int:
    if max_retries is None:
        return DEFAULT_MAX_RETRIES
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise InvalidInputError(
            f"{param} must be an integer >= 0, got {max_retries!r}", param=param
        )
    return max_retries


def _check_source(key: object, param: str) -> KeySource:
    """A key string checked as :func:`_check_key` does, or a key provider (a callable)."""
    if callable(key) and not isinstance(key, str):
        return cast(KeyProvider, key)
    return _check_key(key, param)


def resolve_key(source: KeySource, param: str = "api_key") -> str:
    """The key ``source`` stands for now: a string as is, a provider called (once).

    A provider that raises, or returns anything but a usable key, is an
    :class:`AuthenticationError` naming ``param`` (the provider's exception chained;
    the value it returned is never echoed).
    """
    if isinstance(source, str):
        return source
    try:
        key = source()
    except Exception as exc:
        raise AuthenticationError(f"{param}: the key provider raised {type(exc).__name__}") from exc
    if not isinstance(key, str):
        raise AuthenticationError(
            f"{param}: the key provider returned {type(key).__name__}, not a str"
        )
    try:
        return _check_key(key, param)
    except InvalidInputError as exc:
        raise AuthenticationError(
            f"{param}: the key provider returned an unusable key ({exc.message})"
        ) from None


def _check_key(key: object, param: str) -> str:
    if not isinstance(key, str):
        raise InvalidInputError(
            f"{param} must be a string, a callable returning one, or a mapping of project "
            f"id to key, not {type(key).__name__}",
            param=param,
        )
    key = key.strip()
    # Never echo the value: it is a secret even when malformed.
    if not key:
        raise InvalidInputError(f"{param} is empty", param=param)
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise InvalidInputError(f"{param} contains whitespace or control characters", param=param)
    return key


class KeyRing:
    """The API key(s) of a client: one key, or one key per project.

    A key may be a provider (a callable returning the key): :meth:`source_for`
    returns it as is, for the transport to call per attempt; :meth:`key_for` and
    :meth:`default_key` call it. ``repr`` never shows a key.
    """

    __slots__ = ("_default_project", "_keys", "_single")

    def __init__(self, api_key: Optional[ApiKey], *, default_project: Optional[str]) -> None:
        self._default_project = default_project
        self._single: Optional[KeySource] = None
        self._keys: dict[str, KeySource] = {}
        if api_key is None:
            env = os.environ.get("CLAUDE_API_KEY")
            if env is not None and env.strip():
                self._single = _check_key(env, "CLAUDE_API_KEY")
        elif isinstance(api_key, str) or callable(api_key):
            self._single = _check_source(api_key, "api_key")
        elif isinstance(api_key, Mapping):
            if not api_key:
                raise InvalidInputError(
                    "api_key mapping is empty: give {project_id: key}", param="api_key"
                )
            for project, key in api_key.items():
                if not isinstance(project, str) or not project:
                    raise InvalidInputError(
                        "api_key mapping keys must be non-empty project id strings",
                        param="api_key",
                    )
                self._keys[project] = _check_source(key, f"api_key[{project!r}]")
            if default_project is not None and default_project not in self._keys:
                raise InvalidInputError(
                    f"project_id {default_project!r} has no key in the api_key mapping "
                    f"(projects: {', '.join(sorted(self._keys))})",
                    param="project_id",
                )
        else:
            _check_key(api_key, "api_key")  # raises with the type name

    @property
    def per_project(self) -> bool:
        """True when the keys are a ``{project_id: key}`` mapping."""
        return bool(self._keys)

    @property
    def has_key(self) -> bool:
        return self._single is not None or bool(self._keys)

    @property
    def projects(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def default_key(self) -> Optional[str]:
        """The key used when a call names no project (``None`` when ambiguous or absent)."""
        source = self.default_source()
        return None if source is None else resolve_key(source)

    def default_source(self) -> Optional[KeySource]:
        """:meth:`default_key`'s key or provider, not called."""
        if self._single is not None:
            return self._single
        if self._default_project is not None:
            return self._keys.get(self._default_project)
        if len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get("default")

    def key_for(self, project_id: Optional[str], *, required: bool = True) -> Optional[str]:
        """The key for ``project_id`` (``None``: the client's default project).

        With ``required``, a missing key raises :class:`AuthenticationError` (no key
        at all) or :class:`InvalidInputError` (the mapping has no such project)
        before anything is sent. A provider is called (see :func:`resolve_key`).
        """
        source = self.source_for(project_id, required=required)
        if source is None:
            return None
        return resolve_key(source, "api_key" if self._single is not None else "api_key[...]")

    def source_for(
        self, project_id: Optional[str], *, required: bool = True
    ) -> Optional[KeySource]:
        """:meth:`key_for`'s key or provider, not called (the transport calls it per attempt)."""
        if self._single is not None:
            return self._single
        if self._keys:
            if project_id is None:
                key = self.default_source()
                if key is None and required:
                    raise InvalidInputError(
                        "api_key is a per-project mapping and this call names no project: "
                        "pass project_id= (to the call or the client); projects: "
                        f"{', '.join(sorted(self._keys))}",
                        param="project_id",
                    )
                return key
            key = self._keys.get(project_id)
            if key is None and required:
                raise InvalidInputError(
                    f"project_id {project_id!r} has no key in the api_key mapping "
                    f"(projects: {', '.join(sorted(self._keys))})",
                    param="project_id",
                )
            return key
        if required:
            raise AuthenticationError(
                "no API key: pass api_key= to the client or set CLAUDE_API_KEY"
            )
        return None

    @property
    def has_provider(self) -> bool:
        """True when a key is a provider (a callable), asked on each use."""
        return not isinstance(self._single, (str, type(None))) or any(
            not isinstance(key, str) for key in self._keys.values()
        )

    def pinned(self) -> KeyRing:
        """The default key resolved once (one connection's key); ``self`` without providers."""
        if not self.has_provider:
            return self
        return KeyRing(self.default_key(), default_project=None)

    def with_default_project(self, project_id: Optional[str]) -> KeyRing:
        """The same keys with another default project (``with_options(project_id=)``)."""
        ring = KeyRing.__new__(KeyRing)
        ring._single = self._single
        ring._keys = self._keys
        ring._default_project = project_id
        if project_id is not None and self._keys and project_id not in self._keys:
            raise InvalidInputError(
                f"project_id {project_id!r} has no key in the api_key mapping "
                f"(projects: {', '.join(sorted(self._keys))})",
                param="project_id",
            )
        return ring

    def secrets(self) -> tuple[str, ...]:
        """Every fixed key (for redaction checks; providers are not called); never log it."""
        if self._single is not None:
            return (self._single,) if isinstance(self._single, str) else ()
        return tuple(key for key in self._keys.values() if isinstance(key, str))

    def __reduce_ex__(self, protocol: object) -> Any:
        # pickle, copy and deepcopy would otherwise write the keys out in the clear.
        raise TypeError("a KeyRing cannot be pickled or copied: it holds API keys")

    def __repr__(self) -> str:
        if self._keys:
            return f"<KeyRing projects={sorted(self._keys)!r}>"
        if self._single is None:
            return "<KeyRing no key>"
        return "<KeyRing 1 key>" if isinstance(self._single, str) else "<KeyRing key provider>"
