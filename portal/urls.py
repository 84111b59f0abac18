from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from portal import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="network:vpc-list", permanent=False), name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("network/", include("network.urls")),
    path("network/", include("vpn.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "S2S VPN portal — operations"
admin.site.site_title = "S2S VPN operations"
admin.site.index_title = "Platform"
