"""``Idempotency-Key`` on the API's POSTs: a retried POST gets the first answer, not a second
action.

A POST under /api/v1/ that carries the header, from a token (or a signed-in browser session),
takes a row (unique per token or user, and key) before the view runs; the view's 2xx answer
(status, content type, Location, body) is kept on that row for ``KEEP`` and replayed, marked
``Idempotent-Replayed: true``, to every later POST with the same key, the same path and the same
body, without the view running again. Any other answer frees the key: nothing was done, so a
retry may run (a 400 gives the same 400 again; a 409 for a full quota may succeed later).

- the same key with another path or body: 422, the key names another request;
- the same key while its first request still runs (a concurrent retry): 409 with Retry-After,
  so the action never runs twice; a row left running for ``STALE`` (its process died) is taken
  over by the next retry;
- a key that is not 1 to 255 printable ASCII characters: 400.

This is a middleware, not a DRF hook, so no resource view has to opt in: it sees the request
before DRF does, so it finds the token itself (a token that is not usable is left to the view,
which answers 401). Keys older than ``KEEP`` are deleted whenever a new key is taken.
"""

import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import get_authorization_header

from api.models import TOKEN_PREFIX, ApiToken, IdempotencyKey, digest

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
PREFIX = "/api/v1/"
KEEP = timedelta(hours=24)
STALE = timedelta(minutes=5)  # far above any request's time limit
MAX_KEY = 255

Middleware = Callable[[HttpRequest], HttpResponse]


class IdempotencyMiddleware:
    """See the module's docstring."""

    def __init__(self, get_response: Middleware) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith(PREFIX):
            return self.get_response(request)
        if not 1 <= len(key) <= MAX_KEY or not key.isascii() or not key.isprintable():
            return _refuse(400, _("Idempotency-Key must be 1 to 255 printable ASCII characters."))
        principal = principal_of(request)
        if principal is None:
            return self.get_response(request)  # the view answers 401 or 403
        try:
            fingerprint = _fingerprint(request)
        except RawPostDataException:  # pragma: no cover - nothing before us reads the stream
            return self.get_response(request)
        row, answer = _take(principal, key, fingerprint)
        if answer is not None:
            return answer
        assert row is not None
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(pk=row.pk).delete()
            raise
        _keep_or_free(row, response)
        return response


def principal_of(request: HttpRequest) -> str | None:
    """Whose key this is: the usable token in Authorization, else the session's user."""
    header = get_authorization_header(request).split()
    if header and header[0].lower() == b"bearer":
        if len(header) != 2:
            return None
        token = header[1].decode("ascii", errors="replace")
        if not token.startswith(TOKEN_PREFIX):
            return None
        pk = (
            ApiToken.objects.usable()
            .filter(digest=digest(token))
            .values_list("pk", flat=True)
            .first()
        )
        return None if pk is None else f"token:{pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _fingerprint(request: HttpRequest) -> str:
    seen = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        seen.update(part.encode() + b"\n")
    seen.update(request.body)
    return seen.hexdigest()


def _take(
    principal: str, key: str, fingerprint: str
) -> tuple[IdempotencyKey | None, HttpResponse | None]:
    """The key's new row (the request runs), or the answer instead of running it."""
    now = timezone.now()
    IdempotencyKey.objects.filter(created__lt=now - KEEP).delete()
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                principal=principal, key=key, fingerprint=fingerprint, created=now
            )
        return row, None
    except IntegrityError:
        pass
    first = IdempotencyKey.objects.filter(principal=principal, key=key).first()
    if first is None:  # freed between our insert and this read
        return None, _busy()
    if first.fingerprint != fingerprint:
        return None, _refuse(
            422,
            _(
                "This Idempotency-Key was used with another request (path or body); use a new "
                "key for a new request."
            ),
        )
    if first.status is not None:
        log.info("idempotent replay key=%s principal=%s", first.pk, principal)
        return None, _replay(first)
    taken_over = IdempotencyKey.objects.filter(
        pk=first.pk, status__isnull=True, created__lt=now - STALE
    ).update(created=now)
    if taken_over:
        first.refresh_from_db()
        return first, None
    return None, _busy()


def _keep_or_free(row: IdempotencyKey, response: HttpResponse) -> None:
    if not 200 <= response.status_code < 300 or response.streaming:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        location=response.get("Location", ""),
        body=response.content,
    )


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(row.body), status=row.status, content_type=row.content_type)
    if row.location:
        response["Location"] = row.location
    response["Idempotent-Replayed"] = "true"
    return response


def _busy() -> HttpResponse:
    response = _refuse(
        409, _("A request with this Idempotency-Key is still running; retry in a moment.")
    )
    response["Retry-After"] = "1"
    return response


def _refuse(status: int, detail: str) -> HttpResponse:
    return JsonResponse({"detail": detail}, status=status)


# -- the schema (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) -----------------------------------

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}


def document_idempotency_key(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Every POST under /api/v1/ takes the header and may answer 409 (the key's first request
    still runs) and 422 (the key was used for another request)."""
    for path, operations in result.get("paths", {}).items():
        post = operations.get("post")
        if post is None or not path.startswith(PREFIX):
            continue
        post.setdefault("parameters", []).append(
            {
                "in": "header",
                "name": HEADER,
                "required": False,
                "description": "Any unique string (e.g. a UUID): a retry with the same key, "
                "path and body gets the first 2xx answer again (Idempotent-Replayed: true) "
                "instead of doing the action twice. Kept 24 hours.",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
            }
        )
        responses = post.setdefault("responses", {})
        responses.setdefault(
            "400", _response("Bad input (or an Idempotency-Key that is not printable ASCII).")
        )
        responses.setdefault(
            "409", _response("The Idempotency-Key's first request is still running.")
        )
        responses.setdefault("422", _response("The Idempotency-Key was used with another request."))
    return result


def _response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _DETAIL}}}
