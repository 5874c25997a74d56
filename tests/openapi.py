"""Read-only helpers over ev.energy's OpenAPI document, for the tests that serve or check its examples."""

from __future__ import annotations

from typing import Any


class Spec:
    """Read-only helpers over the OpenAPI document."""

    def __init__(self, document: dict[str, Any]) -> None:
        """Wrap a loaded OpenAPI document."""
        self.document = document

    def resolve(self, node: Any) -> Any:
        """Follow ``$ref``s to the node they point at."""
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def examples(self, method: str, path: str, *, success: bool) -> list[tuple[int, Any]]:
        """(status, example value) of an operation's responses, success or error ones."""
        found: list[tuple[int, Any]] = []
        operation = self.document["paths"][path][method]
        for code, response in operation.get("responses", {}).items():
            if str(code).startswith("2") != success:
                continue
            for content in self.resolve(response).get("content", {}).values():
                if "example" in content:
                    found.append((int(code), content["example"]))
                found.extend(
                    (int(code), self.resolve(example).get("value"))
                    for example in content.get("examples", {}).values()
                )
        return found

    def properties(self, schema: Any) -> dict[str, Any]:
        """All properties of a schema, merging allOf parts."""
        schema = self.resolve(schema)
        merged: dict[str, Any] = {}
        for part in schema.get("allOf", []):
            merged.update(self.properties(part))
        merged.update(schema.get("properties", {}))
        return merged

    def example_of(self, schema: Any, depth: int = 0) -> Any:
        """A value built from the spec's own ``example``s (None where it gives none)."""
        schema = self.resolve(schema)
        if "example" in schema:
            return schema["example"]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            return schema["examples"][0]
        for key in ("oneOf", "anyOf"):
            for option in schema.get(key, []):
                value = self.example_of(option, depth)
                if value is not None:
                    return value
        if depth < 3 and (schema.get("properties") or schema.get("allOf")):
            built = {
                name: self.example_of(sub, depth + 1)
                for name, sub in self.properties(schema).items()
            }
            return {name: value for name, value in built.items() if value is not None}
        if depth < 3 and "items" in schema:
            item = self.example_of(schema["items"], depth + 1)
            return None if item is None else [item]
        return None
