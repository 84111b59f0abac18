from django.urls import path

from network import views

app_name = "network"

urlpatterns = [
    path("vpcs/", views.vpc_list, name="vpc-list"),
    path("vpcs/add/", views.vpc_create, name="vpc-create"),
    path("vpcs/<int:pk>/", views.vpc_detail, name="vpc-detail"),
    path("vpcs/<int:pk>/configure/", views.vpc_configure, name="vpc-configure"),
    path("vpcs/<int:pk>/delete/", views.vpc_delete, name="vpc-delete"),
    path("vpcs/<int:pk>/tiers/add/", views.tier_add, name="tier-add"),
    path("vpcs/<int:pk>/tiers/<int:tier_pk>/delete/", views.tier_delete, name="tier-delete"),
]
