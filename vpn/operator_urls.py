"""Operators' URLs, at the site's root (portal/urls.py): /metrics and the admin's health page."""

from django.contrib import admin
from django.urls import path

from vpn import operator_views

app_name = "operators"

urlpatterns = [
    path("metrics", operator_views.metrics, name="metrics"),
    path(
        "admin/platform-health/",
        admin.site.admin_view(operator_views.platform_health_page),
        name="platform-health",
    ),
]
