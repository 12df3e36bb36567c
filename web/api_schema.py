"""The OpenAPI document says what errors really look like.

FastAPI documents every 422 with its own body ({"detail": [{"loc", "msg", "type"}]}); Hop's
error handler answers {"error", "detail", "field"?, "fields"?} instead (web.errors). Clients
generated from /openapi.json, and schemathesis, read the documented shape, so it must be ours.
"""

from typing import Any

from fastapi import FastAPI

# Kept under FastAPI's component names, so that every operation's 422 reference stays valid.
ERROR_BODY: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "title": "Error"},
        "detail": {"type": "string", "title": "Detail"},
        "field": {"type": "string", "title": "Field"},
        "fields": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/ValidationError"},
            "title": "Fields",
        },
    },
}
FIELD_PROBLEM: dict[str, Any] = {
    "title": "ValidationError",
    "type": "object",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "title": "Field"},
        "message": {"type": "string", "title": "Message"},
    },
}


def document_errors(app: FastAPI) -> None:
    """Make app.openapi() describe Hop's error bodies."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()  # cached by FastAPI: changed in place once
        schemas = schema.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = ERROR_BODY
            schemas["ValidationError"] = FIELD_PROBLEM
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
