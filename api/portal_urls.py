"""The API token pages of the portal (under /accounts/api-tokens/)."""

from django.urls import path

from api import portal_views

app_name = "api-tokens"

urlpatterns = [
    path("", portal_views.token_list, name="list"),
    path("<int:pk>/revoke/", portal_views.token_revoke, name="revoke"),
]
