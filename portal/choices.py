"""Choices of the portal app: what the audit log records (see portal/audit.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditVia(models.TextChoices):
    """Through which door an action came."""

    PORTAL = "portal", _("portal")
    API = "api", _("API")
    ADMIN = "admin", _("admin")
    COMMAND = "command", _("command")
    SYSTEM = "system", _("system")


class AuditAction(models.TextChoices):
    """What was done (a verb; the object it was done to is on the event)."""

    CREATED = "created", _("created")
    CHANGED = "changed", _("changed")
    DELETED = "deleted", _("deleted")
    RESET = "reset", _("reset")
    REAPPLIED = "reapplied", _("re-applied")
    MOVED = "moved", _("moved")
    DOWNLOADED = "downloaded", _("configuration downloaded")
    LOGGED_IN = "logged-in", _("logged in")
    LOGIN_FAILED = "login-failed", _("login failed")
    LOGGED_OUT = "logged-out", _("logged out")
    KEY_ROTATED = "key-rotated", _("keys rotated")
    TOKEN_CREATED = "token-created", _("API token created")
    TOKEN_REVOKED = "token-revoked", _("API token revoked")
