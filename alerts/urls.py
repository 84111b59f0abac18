"""The alert pages of the portal (under /accounts/alerts/)."""

from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_settings, name="settings"),
    path("test/", views.send_test, name="test"),
    path("rotate-secret/", views.rotate_secret, name="rotate-secret"),
    path("deliveries/", views.deliveries, name="deliveries"),
]
