from django.urls import path

from vpn import live, views

app_name = "vpn"

urlpatterns = [
    path("customer-gateways/", views.customer_gateway_list, name="customer-gateway-list"),
    path("customer-gateways/add/", views.customer_gateway_create, name="customer-gateway-create"),
    path("customer-gateways/proposals/", views.proposal_preview, name="proposal-preview"),
    path("customer-gateways/<int:pk>/", views.customer_gateway_edit, name="customer-gateway-edit"),
    path(
        "customer-gateways/<int:pk>/delete/",
        views.customer_gateway_delete,
        name="customer-gateway-delete",
    ),
    path("vpcs/<int:vpc_pk>/vpn-gateway/", views.gateway_create, name="gateway-create"),
    path("vpn-gateways/<int:pk>/", views.gateway_detail, name="gateway-detail"),
    path("vpn-gateways/<int:pk>/delete/", views.gateway_delete, name="gateway-delete"),
    path("vpn-gateways/<int:pk>/connections/add/", views.connection_add, name="connection-add"),
    path("vpn-connections/", views.connection_list, name="connection-list"),
    path("events/", live.events, name="events"),
    path("vpn-connections/<int:pk>/", views.connection_detail, name="connection-detail"),
    path("vpn-connections/<int:pk>/reset/", views.connection_reset, name="connection-reset"),
    path(
        "vpn-connections/<int:pk>/configuration/",
        views.connection_configuration,
        name="connection-configuration",
    ),
    path("vpn-connections/<int:pk>/delete/", views.connection_delete, name="connection-delete"),
]
