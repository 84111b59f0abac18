"""Choices of the API app: an API token's state, as its owner's page shows it."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.badges import Badge

# An API token's state is not stored: ApiToken.state reads it from the revoked and expires
# stamps. Each state's label and its one badge (portal.badges):
USABLE, EXPIRED, REVOKED = "usable", "expired", "revoked"
TOKEN_STATES: dict[str, tuple[Promise, Badge]] = {
    USABLE: (_("Usable"), Badge("ok", "●")),
    EXPIRED: (_("Expired"), Badge("idle", "○")),
    REVOKED: (_("Revoked"), Badge("idle", "✕")),
}
