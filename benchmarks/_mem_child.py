"""Peak RSS of parsing one batch response body, in a fresh process.

    python benchmarks/_mem_child.py MODE BODY_PATH

Imports what MODE needs and reads the body first, then resets the kernel's high-water
mark (/proc/self/clear_refs "5"), so the figure is the peak *added* by the parse itself,
not the interpreter's or the imports'. Prints one JSON object.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable
from typing import Any


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _parser(mode: str) -> Callable[[bytes], Any]:
    if mode == "json.loads":
        return json.loads
    if mode == "generated":
        from claude_client.generated.models.batch_response import BatchResponse

        return lambda body: BatchResponse.from_dict(json.loads(body))
    if mode in ("sdk", "sdk-read-all"):
        import _sdk  # type: ignore[import-not-found]

        parse = _sdk.batch_parser()
        if parse is None:
            raise SystemExit("no SDK batch parser")
        if mode == "sdk":
            return parse  # type: ignore[no-any-return]

        def parse_and_read(body: bytes) -> Any:
            # What a user does next: every result object, its text and its usage.
            res = parse(body)
            for r in res.results:
                _ = r.content, r.usage, r.status
            return res

        return parse_and_read
    raise SystemExit(f"unknown mode {mode!r}")


def main() -> None:
    mode, path = sys.argv[1], sys.argv[2]
    parse = _parser(mode)
    with open(path, "rb") as f:
        body = f.read()
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = _status_kib("VmRSS")
    result = parse(body)
    peak = _status_kib("VmHWM")
    retained = _status_kib("VmRSS")
    n = len(result["results"]) if isinstance(result, dict) else len(result.results)
    del result
    print(
        json.dumps(
            {
                "mode": mode,
                "items": n,
                "body_bytes": len(body),
                "base_kib": base,
                "peak_kib": peak,
                "retained_kib": retained,
                "peak_delta_kib": peak - base,
            }
        )
    )


if __name__ == "__main__":
    main()
