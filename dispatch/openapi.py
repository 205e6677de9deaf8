"""The API's OpenAPI schema (settings.REST_FRAMEWORK DEFAULT_SCHEMA_CLASS).

`AutoSchema` documents the error answers of every operation, all of one shape
(dispatch.api_errors.ErrorSerializer), by what the view can answer: 401/403 behind a login,
400/409 where a body or a query is checked by a serializer or a service, 404 where a path names
an object or a page is asked for, 415 where there is a body, 429 where a throttle counts.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .api_errors import ErrorSerializer

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

DESCRIPTIONS = {
    "400": "The input is not valid, or a rule refuses it: see `code` and `detail`.",
    "401": "No credentials, or a bad token (see the WWW-Authenticate header).",
    "403": "The user's role or the object's owner does not allow this.",
    "404": "No such object in the user's scope, or no such page.",
    "409": "The object's current state forbids this (a rule, or a change made at the same time).",
    "415": "The body is not in a media type the operation reads.",
    "429": "Too many requests: try again after Retry-After seconds.",
}
HEADERS = {
    "401": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Token"}},
    "429": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status in self.error_statuses(operation):
            if status in responses:
                continue  # the view documents this answer itself (the kit gate's 409)
            response = self._get_response_for_code(ErrorSerializer, status)
            response["description"] = DESCRIPTIONS[status]
            if status in HEADERS:
                response["headers"] = HEADERS[status]
            responses[status] = response
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.DecimalField)
            and "pattern" in schema
            and field.max_whole_digits
        ):
            # drf-spectacular's pattern lets "" and "." through; DRF refuses both.
            whole, places = field.max_whole_digits, field.decimal_places
            schema["pattern"] = (
                rf"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"
            )
        return schema

    def error_statuses(self, operation) -> list[str]:
        statuses = set(getattr(self.view, "error_statuses", ()))
        parameters = operation.get("parameters", [])
        places = {parameter["in"] for parameter in parameters}
        if not all(p is AllowAny for p in self.view.permission_classes):
            statuses |= {"401", "403"}
        if self.method in UNSAFE:
            statuses |= {"400", "409"}
        if "requestBody" in operation:
            statuses |= {"400", "415"}
        if any(p["in"] == "query" and p["name"] != "page" for p in parameters):
            statuses.add("400")
        if "path" in places or any(p["name"] == "page" for p in parameters):
            statuses.add("404")
        if getattr(self.view, "throttle_scope", None):
            statuses.add("429")
        return sorted(str(s) for s in statuses)
