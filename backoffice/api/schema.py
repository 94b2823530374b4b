"""A strict checker for the subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that our API
documents are written in, so that the published schema is also what validates requests: the two
cannot drift apart.

Supported: type (one or a list; "integer" and "number" never accept booleans), properties, required,
additionalProperties (false or a schema), items, minItems, maxItems, minLength, maxLength, pattern,
enum, const, minimum, maximum, and $ref to "#/components/schemas/<name>" of the document given.
Errors are {field path: message}, paths written as clients name them ("lines[2].quantity").

Beyond JSON Schema, every string is refused if it holds control characters or unpaired surrogates:
PostgreSQL cannot store NUL, and a lone surrogate cannot be encoded, so either would otherwise end as
a server error instead of a 400.
"""

import re
import unicodedata
from functools import cache

ROOT = "body"

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ARTICLE = {"object": "an object", "array": "an array", "integer": "an integer", "null": "null"}


def validate(value, schema: dict, *, document: dict | None = None, path: str = ROOT) -> dict[str, str]:
    """Every problem of `value` against `schema` as {path: message}; empty when it conforms."""
    errors: dict[str, str] = {}
    _check(value, schema, document or {}, path, errors)
    return errors


def child_path(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return name if path == ROOT else f"{path}.{name}"


def _check(value, schema: dict, document: dict, path: str, errors: dict[str, str]) -> None:
    if "$ref" in schema:
        schema = _resolve(document, schema["$ref"])
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(_TYPES[name](value) for name in types):
            errors[path] = "must be " + " or ".join(_ARTICLE.get(name, f"a {name}") for name in types)
            return
    if "const" in schema and value != schema["const"]:
        errors[path] = f"must be {schema['const']!r}"
        return
    if "enum" in schema and value not in schema["enum"]:
        errors[path] = "must be one of " + ", ".join(str(choice) for choice in schema["enum"])
        return
    if isinstance(value, str):
        _check_string(value, schema, path, errors)
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int | float):
        _check_number(value, schema, path, errors)
    elif isinstance(value, list):
        _check_array(value, schema, document, path, errors)
    elif isinstance(value, dict):
        _check_object(value, schema, document, path, errors)


def _check_string(value: str, schema: dict, path: str, errors: dict[str, str]) -> None:
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        errors[path] = "must not contain control characters or unpaired surrogates"
    elif "minLength" in schema and len(value) < schema["minLength"]:
        errors[path] = "must not be empty" if schema["minLength"] == 1 else f"must be {schema['minLength']}+ characters"
    elif "maxLength" in schema and len(value) > schema["maxLength"]:
        errors[path] = f"must be at most {schema['maxLength']} characters"
    elif "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        errors[path] = schema.get("x-pattern-message", f"must match {schema['pattern']}")


def _check_number(value, schema: dict, path: str, errors: dict[str, str]) -> None:
    if "minimum" in schema and value < schema["minimum"]:
        errors[path] = f"must be {schema['minimum']} or more"
    elif "maximum" in schema and value > schema["maximum"]:
        errors[path] = f"must be {schema['maximum']} or less"


def _check_array(value: list, schema: dict, document: dict, path: str, errors: dict[str, str]) -> None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors[path] = f"must hold at least {schema['minItems']} item(s)"
    elif "maxItems" in schema and len(value) > schema["maxItems"]:
        errors[path] = f"must hold at most {schema['maxItems']} items"
    elif "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], document, child_path(path, index), errors)


def _check_object(value: dict, schema: dict, document: dict, path: str, errors: dict[str, str]) -> None:
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            _check(item, properties[name], document, child_path(path, name), errors)
        elif extra is False:
            errors[child_path(path, name)] = "unknown field"
        elif isinstance(extra, dict):
            _check(item, extra, document, child_path(path, name), errors)
    for name in schema.get("required", ()):
        if name not in value:
            errors[child_path(path, name)] = "required"


def _resolve(document: dict, reference: str) -> dict:
    prefix = "#/components/schemas/"
    if not reference.startswith(prefix):
        raise ValueError(f"only local component references are supported, not {reference}")
    return document["components"]["schemas"][reference.removeprefix(prefix)]


@cache
def _pattern(pattern: str) -> re.Pattern:
    return re.compile(pattern)
