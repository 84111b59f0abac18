from django.urls import include, path
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import views

app_name = "api"

v1_patterns = [
    path("vpcs/", views.VpcList.as_view(), name="vpc-list"),
    path("vpcs/<int:pk>/", views.VpcDetail.as_view(), name="vpc-detail"),
    path("vpcs/<int:pk>/tiers/", views.TierList.as_view(), name="tier-list"),
    path("vpcs/<int:pk>/tiers/<int:tier_pk>/", views.TierDetail.as_view(), name="tier-detail"),
    path("vpcs/<int:pk>/vpn-gateway/", views.VpcGateway.as_view(), name="vpc-vpn-gateway"),
    path("customer-gateways/", views.CustomerGatewayList.as_view(), name="customer-gateway-list"),
    path(
        "customer-gateways/<int:pk>/",
        views.CustomerGatewayDetail.as_view(),
        name="customer-gateway-detail",
    ),
    path("vpn-gateways/", views.GatewayList.as_view(), name="gateway-list"),
    path("vpn-gateways/<int:pk>/", views.GatewayDetail.as_view(), name="gateway-detail"),
    path(
        "vpn-gateways/<int:pk>/connections/",
        views.GatewayConnections.as_view(),
        name="gateway-connections",
    ),
    path("vpn-connections/", views.ConnectionList.as_view(), name="connection-list"),
    path("vpn-connections/<int:pk>/", views.ConnectionDetail.as_view(), name="connection-detail"),
    path(
        "vpn-connections/<int:pk>/reset/", views.ConnectionReset.as_view(), name="connection-reset"
    ),
    path(
        "vpn-connections/<int:pk>/events/",
        views.ConnectionEvents.as_view(),
        name="connection-events",
    ),
    path(
        "vpn-connections/<int:pk>/configuration/",
        views.ConnectionConfiguration.as_view(),
        name="connection-configuration",
    ),
    path("devices/", views.DeviceList.as_view(), name="device-list"),
]

urlpatterns = [
    path("v1/", include(v1_patterns)),
    # Read-only pages: any other method is a plain 405 (the docs view would otherwise try to
    # render its error with an HTML template it has none for, and fail).
    path("schema/", require_safe(SpectacularAPIView.as_view()), name="schema"),
    path(
        "docs/",
        require_safe(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
]
