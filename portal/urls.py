from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from portal import activity, views

# A user's own sign-in and security pages (any signed-in user, staff without an account too).
account_patterns = (
    [
        path("", views.security, name="security"),
        path("password/", views.PasswordChangeView.as_view(), name="password-change"),
        path("two-factor/", views.two_factor_setup, name="two-factor-setup"),
        path("two-factor/disable/", views.two_factor_disable, name="two-factor-disable"),
        path("login/code/", views.login_code, name="login-code"),
        path("activity/", activity.activity, name="activity"),
    ],
    "accounts",
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="network:vpc-list", permanent=False), name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include(account_patterns)),
    path("accounts/api-tokens/", include("api.portal_urls")),
    path("accounts/alerts/", include("alerts.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("network/", include("network.urls")),
    path("network/", include("vpn.urls")),
    path("api/", include("api.urls")),
    path("", include("vpn.operator_urls")),  # /metrics, /admin/platform-health/
    path("admin/", admin.site.urls),
]

handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"

admin.site.site_header = "S2S VPN portal — operations"
admin.site.site_title = "S2S VPN operations"
admin.site.index_title = "Platform"
