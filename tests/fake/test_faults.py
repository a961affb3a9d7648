"""REST fault injection and the other controls of the fake."""

from __future__ import annotations

import json
import threading
import time

import httpx2
import pytest

from claude_client.testing import FakeService, Fault, serve, unused_url

CHAT = "/v1/chat/completions"
BODY = {"messages": [{"role": "user", "content": "hello world"}], "model": "haiku"}


def test_fail_next_counts_down_and_matches_path(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    inj = claude_fake.fail_next(2, status=502, path=CHAT)
    assert http.get("/v1/capabilities").status_code == 200  # other path untouched
    assert [http.post(CHAT, json=BODY).status_code for _ in range(3)] == [502, 502, 200]
    assert inj.hits == 2
    assert claude_fake.injections == []


def test_fail_next_method_filter(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.fail_next(status=500, method="GET")
    assert http.post(CHAT, json=BODY).status_code == 200
    assert http.get("/v1/usage").status_code == 500


def test_fault_forever_until_cleared(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(Fault.ERROR, status=503, times=None, path=CHAT)
    assert {http.post(CHAT, json=BODY).status_code for _ in range(4)} == {503}
    claude_fake.clear_faults()
    assert http.post(CHAT, json=BODY).status_code == 200


@pytest.mark.parametrize("status", [520, 529])
def test_non_iana_statuses(claude_fake: FakeService, http: httpx2.Client, status: int) -> None:
    claude_fake.fail_next(status=status)
    r = http.post(CHAT, json=BODY)
    assert r.status_code == status
    assert "x-error-category" not in r.headers
    assert isinstance(r.json()["detail"], str)


def test_retry_after_http_date(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.fail_next(status=503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    r = http.post(CHAT, json=BODY)
    assert r.headers["retry-after"] == "Wed, 21 Oct 2015 07:28:00 GMT"


def test_custom_body_and_detail(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.fail_next(status=429, detail="Budget exceeded for project default", category="")
    r = http.post(CHAT, json=BODY)
    assert r.json() == {"detail": "Budget exceeded for project default"}
    assert "x-error-category" not in r.headers
    claude_fake.fail_next(status=502, body="<h1>bad gateway</h1>", content_type="text/html")
    r = http.post(CHAT, json=BODY)
    assert r.headers["content-type"].startswith("text/html") and r.text == "<h1>bad gateway</h1>"


def test_html_proxy_page(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(Fault.HTML, status=504)
    r = http.post(CHAT, json=BODY)
    assert r.status_code == 504
    assert r.headers["content-type"].startswith("text/html")
    assert "<center>nginx</center>" in r.text


def test_reset_mid_response(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(Fault.RESET, path=CHAT)
    with pytest.raises(httpx2.RemoteProtocolError):
        http.post(CHAT, json=BODY)
    assert http.post(CHAT, json=BODY).status_code == 200  # the pool recovers


def test_reset_sends_headers_first(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(Fault.RESET)
    with http.stream("POST", CHAT, json=BODY) as r:
        assert r.status_code == 200
        with pytest.raises(httpx2.RemoteProtocolError):
            r.read()


def test_hang_until_client_gives_up(claude_fake: FakeService) -> None:
    claude_fake.inject(Fault.HANG, path=CHAT)
    started = time.monotonic()
    with pytest.raises(httpx2.ReadTimeout), httpx2.Client(base_url=claude_fake.base_url) as c:
        c.post(CHAT, json=BODY, headers=claude_fake.auth_headers(), timeout=0.5)
    assert time.monotonic() - started < 2
    assert len(claude_fake.requests_to(CHAT)) == 1  # it did reach the server


def test_hang_ends_on_server_shutdown() -> None:
    outcome: list[BaseException] = []
    with serve() as fake:
        fake.inject(Fault.HANG)

        def call() -> None:
            try:
                httpx2.get(f"{fake.base_url}/health", timeout=30)
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=call)
        thread.start()
        time.sleep(0.3)
        started = time.monotonic()
    assert time.monotonic() - started < 3
    thread.join(5)
    assert not thread.is_alive()
    assert outcome and isinstance(outcome[0], httpx2.TransportError)


def test_truncated_json(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(Fault.TRUNCATED_JSON)
    r = http.post(CHAT, json=BODY)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    assert r.content.startswith(b'{"id":')


def test_wrong_shape_default(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(Fault.WRONG_SHAPE, path=CHAT)
    body = http.post(CHAT, json=BODY).json()
    assert "content" not in body and body["usage"] == "n/a" and body["model"] == "haiku"


def test_wrong_shape_custom(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(
        Fault.WRONG_SHAPE, path="/v1/batch", drop=("results",), replace={"total": "three"}
    )
    body = http.post("/v1/batch", json={"prompts": [{"prompt": "x"}]}).json()
    assert "results" not in body and body["total"] == "three"


def test_not_authenticated_variants(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(Fault.NOT_AUTHENTICATED_401)
    r = http.post(CHAT, json=BODY)
    assert (r.status_code, r.json(), r.headers["www-authenticate"]) == (
        401,
        {"detail": "Not authenticated"},
        "Bearer",
    )
    claude_fake.inject(Fault.NOT_AUTHENTICATED_403)
    r = http.post(CHAT, json=BODY)
    assert (r.status_code, r.json()) == (403, {"detail": "Not authenticated"})
    assert "www-authenticate" not in r.headers


def test_faults_carry_x_request_id(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.fail_next(status=503)
    r = http.post(CHAT, json=BODY, headers={"X-Request-ID": "abc"})
    assert r.headers["x-request-id"] == "abc"


def test_latency_is_one_model_run(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.latency(0.3)
    for path in ("/health", "/v1/usage", "/", "/ready", "/v1/providers", "/v1/capabilities"):
        started = time.monotonic()
        assert http.get(path).status_code == 200
        assert time.monotonic() - started < 0.28  # routes that run no model stay instant
    started = time.monotonic()
    assert http.post(CHAT, json=BODY).status_code == 200
    assert 0.28 < time.monotonic() - started < 1.5


def test_openapi_is_never_faulted(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.fail_next(None, status=500)
    assert http.get("/openapi.json").status_code == 200
    assert http.get("/health").status_code == 500


def test_requests_are_recorded_without_the_key(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    http.post(CHAT, json=BODY, headers={"X-Request-ID": "r1"})
    http.post("/v1/task", json={"description": "x", "api_key": claude_fake.api_key})
    http.get("/v1/usage", params={"period": "day"})
    chat, task_, usage = claude_fake.requests
    assert (chat.method, chat.path, chat.status, chat.request_id) == ("POST", CHAT, 200, "r1")
    assert chat.body == BODY
    assert chat.header("authorization") == "Bearer <redacted>"
    assert chat.key_suffix == claude_fake.api_key[-4:] and chat.project_id == "default"
    assert task_.body["api_key"] == "cc_<redacted>"
    assert (usage.method, usage.query) == ("GET", "period=day")
    assert claude_fake.api_key not in repr(claude_fake.requests)
    claude_fake.clear_requests()
    assert claude_fake.requests == []


def test_reset_restores_everything(claude_fake: FakeService, http: httpx2.Client) -> None:
    extra = claude_fake.add_key()
    claude_fake.set_budget("default", 0)
    claude_fake.latency(5)
    claude_fake.fail_next(None, status=500)
    claude_fake.set_rate_limit(claude_fake.api_key, 0)
    claude_fake.next_task_status("failed")
    claude_fake.reset()
    assert claude_fake.key_info(extra) is None
    assert claude_fake.requests == []
    started = time.monotonic()
    assert http.post(CHAT, json=BODY).status_code == 200
    assert time.monotonic() - started < 1
    assert http.post("/v1/task", json={"description": "x"}).json()["status"] == "completed"


def test_add_key_profiles_and_rpm(claude_fake: FakeService, anon: httpx2.Client) -> None:
    key = claude_fake.add_key(profile="free", project_id="side", rpm=1)
    h = claude_fake.auth_headers(key)
    assert anon.get("/v1/usage", headers=h).json()["project_id"] == "side"
    assert anon.get("/v1/usage", headers=h).status_code == 429
    with pytest.raises(ValueError):
        claude_fake.add_key(profile="platinum")


def test_controls_are_thread_safe(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_rate_limit(claude_fake.api_key, 10_000)
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(20):
                claude_fake.fail_next(status=503, path="/nowhere")
                claude_fake.add_usage("default", "haiku", 1)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    codes = [http.post(CHAT, json=BODY).status_code for _ in range(20)]
    for t in threads:
        t.join()
    assert not errors and set(codes) == {200}
    assert len(claude_fake.injections) == 80


def test_unused_url_refuses_connections() -> None:
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(unused_url() + "/health", timeout=2)


def test_disconnect_without_response(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(Fault.DISCONNECT, path=CHAT)
    with pytest.raises(httpx2.RemoteProtocolError, match="without sending a response"):
        http.post(CHAT, json=BODY)
    assert claude_fake.requests_to(CHAT)[0].status is None
    assert http.post(CHAT, json=BODY).status_code == 200


def test_tcp_reset_without_response(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(Fault.TCP_RESET, path=CHAT)
    with pytest.raises((httpx2.ReadError, httpx2.RemoteProtocolError)):
        http.post(CHAT, json=BODY)
    assert http.post(CHAT, json=BODY).status_code == 200


def test_skip_lets_the_first_requests_through(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.inject(Fault.ERROR, status=500, path=CHAT, skip=2)
    assert [http.post(CHAT, json=BODY).status_code for _ in range(4)] == [200, 200, 500, 200]


def test_key_found_in_reports_leaks_that_redaction_hides(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    key = claude_fake.api_key
    http.post(CHAT, json=BODY)
    http.get("/v1/usage", params={"api_key": key}, headers={"X-Api-Key": key})
    http.post(CHAT, json={**BODY, "note": f"my key is {key}"})
    clean, leaky, in_body = claude_fake.requests
    assert clean.key_found_in == ()
    assert leaky.key_found_in == ("query", "header x-api-key")
    assert in_body.key_found_in == ("body",)
    assert key not in repr(claude_fake.requests)
    assert "cc_<redacted>" in leaky.query and in_body.body["note"] == "my key is cc_<redacted>"


def test_recording_can_be_switched_off(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_recording(False)
    http.post(CHAT, json=BODY)
    assert claude_fake.requests == []
    claude_fake.set_recording(True)
    http.post(CHAT, json=BODY)
    assert len(claude_fake.requests) == 1


def test_key_info_repr_hides_the_key(claude_fake: FakeService) -> None:
    info = claude_fake.key_info(claude_fake.api_key)
    assert info is not None and claude_fake.api_key not in repr(info)


async def test_concurrent_answers_match_their_own_prompts() -> None:
    import asyncio

    # 200 at once: a pool of 20 workers + 200 queued holds them all (5 would refuse most).
    with serve(rpm=10_000, max_workers=20) as fake:
        async with httpx2.AsyncClient(
            base_url=fake.base_url, headers=fake.auth_headers(), timeout=30
        ) as client:
            prompts = [f"question number {i} about topic {i * 7}" for i in range(200)]
            responses = await asyncio.gather(
                *(
                    client.post(CHAT, json={"messages": [{"role": "user", "content": p}]})
                    for p in prompts
                )
            )
        assert [r.json()["content"] for r in responses] == [
            fake.expected_answer(p) for p in prompts
        ]
        assert len(fake.requests_to(CHAT)) == 200


def test_deeply_nested_request_bodies_do_not_break_the_fake(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    r = http.post(CHAT, content=deep, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)  # FastAPI rejects it; the recorder copes
    nested: object = "x"
    for _ in range(900):
        nested = [nested]
    r = http.post(CHAT, json={**BODY, "tools": [{"deep": nested}]})
    assert r.status_code in (200, 422)
    assert len(claude_fake.requests_to(CHAT)) == 2
