"""How the API says no: the actions' and forms' ValidationErrors as JSON, and the error bodies
the schema documents.

- bad input: 400 ``{"field": ["message", ...]}`` (errors of no one field under
  ``"non_field_errors"``), with the portal's own messages (the same forms and actions);
- a quota reached, or a state that refuses the change (a gateway with connections, a VPC with
  a gateway, the last tier, no free public IP): 409 ``{"detail": "..."}``;
- another account's id or a missing one: 404 ``{"detail": "..."}`` (the tenancy door).
"""

from typing import NoReturn

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status

from network.actions import PoolExhausted

NON_FIELD = "non_field_errors"  # DRF's own key (api_settings.NON_FIELD_ERRORS_KEY)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the resource.")
    default_code = "conflict"


def form_errors(form: forms.BaseForm) -> dict[str, list[str]]:
    """A form's errors as the API's 400 body."""
    return {
        NON_FIELD if field == NON_FIELD_ERRORS else field: [str(message) for message in messages]
        for field, messages in form.errors.items()
    }


def refuse_form(form: forms.BaseForm) -> NoReturn:
    raise serializers.ValidationError(form_errors(form))


def refuse(
    error: ValidationError,
    *,
    fields: frozenset[str] | set[str] = frozenset(),
    field_map: dict[str, str] | None = None,
    conflict: bool = False,
) -> NoReturn:
    """Raise an action's ValidationError as the API's answer.

    Errors naming a field become a 400 under that field (``field_map`` renames the model's
    fields to the request's, as the portal's forms do; a field the request has no name for
    goes under non_field_errors). A quota, an exhausted pool, or, with ``conflict`` (a delete
    or a change the current state refuses), any error of no field is a 409.
    """
    if hasattr(error, "error_dict"):
        detail: dict[str, list[str]] = {}
        for field, messages in error.message_dict.items():
            target = (field_map or {}).get(field, field)
            detail.setdefault(target if target in fields else NON_FIELD, []).extend(messages)
        raise serializers.ValidationError(detail)
    quota = any(item.code == "quota" for item in error.error_list)
    if conflict or quota or isinstance(error, PoolExhausted):
        raise Conflict(" ".join(error.messages), code="quota" if quota else "conflict")
    raise serializers.ValidationError({NON_FIELD: error.messages})


# -- the error bodies, for the schema ------------------------------------------------------------

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELDS = {
    "type": "object",
    "description": "Messages per field of the request, errors of no one field under "
    f'"{NON_FIELD}"; a body that is not JSON: "detail" alone.',
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
    },
}
ERRORS = {
    400: OpenApiResponse(_FIELDS, description="Bad input: the portal's messages, per field."),
    401: OpenApiResponse(_DETAIL, description="No token, or a token that is not valid."),
    403: OpenApiResponse(
        _DETAIL, description="The user acts for no tenant account (or a session lacks CSRF)."
    ),
    404: OpenApiResponse(_DETAIL, description="No such object in your account."),
    409: OpenApiResponse(
        _DETAIL, description="A quota is reached, or the object's state refuses the change."
    ),
    415: OpenApiResponse(_DETAIL, description="The body is not application/json."),
    429: OpenApiResponse(_DETAIL, description="Too many requests for this token; retry later."),
}


def errors(*codes: int, body: bool = False) -> dict[int, OpenApiResponse]:
    """The documented error responses: 401, 403 and 429 everywhere, 400 and 415 with a request
    body, and ``codes``."""
    always = {401, 403, 429, *((400, 415) if body else ())}
    return {code: ERRORS[code] for code in sorted({*always, *codes})}
