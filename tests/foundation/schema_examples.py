"""Build a minimal instance of a JSON schema from an OpenAPI document (for tests)."""

from __future__ import annotations

from typing import Any

_SCALARS: dict[str, Any] = {
    "string": "text",
    "integer": 1,
    "number": 1.5,
    "boolean": True,
    "null": None,
}


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/"), ref
        node: Any = doc
        for part in ref[2:].split("/"):
            node = node[part]
        schema = node
    return schema


def example(doc: dict[str, Any], schema: dict[str, Any], *, depth: int = 0) -> Any:
    """An instance that validates against ``schema``, with every property filled in."""
    schema = resolve(doc, schema)
    if "default" in schema and depth > 0 and schema["default"] is not None:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if resolve(doc, s).get("type") != "null"]
            return example(doc, (options or schema[key])[0], depth=depth + 1)
    if "allOf" in schema:
        return example(doc, schema["allOf"][0], depth=depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: example(doc, sub, depth=depth + 1) for name, sub in props.items()}
    if kind == "array":
        return [example(doc, schema.get("items", {}), depth=depth + 1)]
    if isinstance(kind, str) and kind in _SCALARS:
        if kind in ("integer", "number") and "minimum" in schema:
            return schema["minimum"]
        return _SCALARS[kind]
    return {"any": "value"}  # an empty schema: anything is valid
