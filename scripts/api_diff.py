"""Report what changed between two OpenAPI documents, and what breaks callers.

    python scripts/api_diff.py OLD.json NEW.json

Prints operations added / removed / changed and component schemas added /
removed / changed. A change is BREAKING for existing callers when an
operation or schema is removed, a field is removed, a field becomes required
(in a request or parameter), or a field's type changes. Exit status: 0 when
nothing breaks, 1 when something does (so CI can flag it), 2 on bad input.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    breaking: list[str] = field(default_factory=list)

    def change(self, text: str, *, breaking: bool = False) -> None:
        self.lines.append(("BREAKING  " if breaking else "          ") + text)
        if breaking:
            self.breaking.append(text)

    def render(self) -> str:
        if not self.lines:
            return "no API changes"
        head = f"{len(self.lines)} change(s), {len(self.breaking)} breaking"
        return "\n".join([head, *self.lines])


def _ops(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{m.upper()} {p}": item[m]
        for p, item in doc.get("paths", {}).items()
        for m in HTTP_METHODS
        if m in item
    }


def _schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return dict(doc.get("components", {}).get("schemas", {}))


def type_of(schema: Any) -> str:
    """A short, comparable description of a schema's type."""
    if not isinstance(schema, dict):
        return "any"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return key + "[" + ",".join(sorted(type_of(s) for s in schema[key])) + "]"
    t = schema.get("type")
    if t == "array":
        return "array<" + type_of(schema.get("items")) + ">"
    if isinstance(t, list):
        return "|".join(sorted(map(str, t)))
    if "enum" in schema:
        return f"{t or 'enum'}{sorted(map(str, schema['enum']))}"
    return str(t or "any")


def _compare_object(where: str, old: dict[str, Any], new: dict[str, Any], report: Report) -> None:
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    for name in sorted(old_props.keys() - new_props.keys()):
        report.change(f"{where}: field '{name}' removed", breaking=True)
    for name in sorted(new_props.keys() - old_props.keys()):
        required = name in new_req
        report.change(
            f"{where}: field '{name}' added" + (" (required)" if required else ""),
            breaking=required,
        )
    for name in sorted(old_props.keys() & new_props.keys()):
        old_t, new_t = type_of(old_props[name]), type_of(new_props[name])
        if old_t != new_t:
            report.change(f"{where}: field '{name}' type {old_t} -> {new_t}", breaking=True)
        if name in new_req and name not in old_req:
            report.change(f"{where}: field '{name}' is now required", breaking=True)
        elif name in old_req and name not in new_req:
            report.change(f"{where}: field '{name}' is no longer required")


def _params(op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p.get("in", ""), p.get("name", "")): p for p in op.get("parameters", [])}


def _body_ref(op: dict[str, Any]) -> str:
    content = op.get("requestBody", {}).get("content", {})
    return ",".join(type_of(c.get("schema")) for _, c in sorted(content.items()))


def _response_types(op: dict[str, Any]) -> dict[str, str]:
    out = {}
    for status, resp in op.get("responses", {}).items():
        content = resp.get("content", {})
        out[status] = ",".join(type_of(c.get("schema")) for _, c in sorted(content.items()))
    return out


def diff(old: dict[str, Any], new: dict[str, Any]) -> Report:
    """Compare two OpenAPI documents; see the module docstring for what breaks."""
    report = Report()
    old_ops, new_ops = _ops(old), _ops(new)
    for key in sorted(old_ops.keys() - new_ops.keys()):
        report.change(f"operation removed: {key}", breaking=True)
    for key in sorted(new_ops.keys() - old_ops.keys()):
        report.change(f"operation added: {key}")
    for key in sorted(old_ops.keys() & new_ops.keys()):
        o, n = old_ops[key], new_ops[key]
        op, np_ = _params(o), _params(n)
        for pk in sorted(op.keys() - np_.keys()):
            report.change(f"{key}: {pk[0]} parameter '{pk[1]}' removed", breaking=True)
        for pk in sorted(np_.keys() - op.keys()):
            required = bool(np_[pk].get("required"))
            report.change(
                f"{key}: {pk[0]} parameter '{pk[1]}' added" + (" (required)" if required else ""),
                breaking=required,
            )
        for pk in sorted(op.keys() & np_.keys()):
            if np_[pk].get("required") and not op[pk].get("required"):
                report.change(f"{key}: parameter '{pk[1]}' is now required", breaking=True)
            ot, nt = type_of(op[pk].get("schema")), type_of(np_[pk].get("schema"))
            if ot != nt:
                report.change(f"{key}: parameter '{pk[1]}' type {ot} -> {nt}", breaking=True)
        if _body_ref(o) != _body_ref(n):
            report.change(
                f"{key}: request body {_body_ref(o) or '-'} -> {_body_ref(n) or '-'}", breaking=True
            )
        elif n.get("requestBody", {}).get("required") and not o.get("requestBody", {}).get(
            "required"
        ):
            report.change(f"{key}: request body is now required", breaking=True)
        ort, nrt = _response_types(o), _response_types(n)
        for status in sorted(ort.keys() | nrt.keys()):
            if ort.get(status) != nrt.get(status):
                report.change(
                    f"{key}: response {status} {ort.get(status, '-') or 'untyped'} -> "
                    f"{nrt.get(status, '-') or 'untyped'}",
                    breaking=status.startswith("2") and status in ort,
                )
    old_s, new_s = _schemas(old), _schemas(new)
    for name in sorted(old_s.keys() - new_s.keys()):
        report.change(f"schema removed: {name}", breaking=True)
    for name in sorted(new_s.keys() - old_s.keys()):
        report.change(f"schema added: {name}")
    for name in sorted(old_s.keys() & new_s.keys()):
        if old_s[name] != new_s[name]:
            before = len(report.lines)
            _compare_object(f"schema {name}", old_s[name], new_s[name], report)
            if len(report.lines) == before:
                report.change(f"schema {name} changed (descriptions, defaults or constraints)")
    return report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        old, new = (json.loads(Path(a).read_text(encoding="utf-8")) for a in args)
    except (OSError, ValueError) as exc:
        print(f"api_diff: cannot read documents: {exc}", file=sys.stderr)
        return 2
    report = diff(old, new)
    print(report.render())
    return 1 if report.breaking else 0


if __name__ == "__main__":
    sys.exit(main())
