from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dispatch import health
from dispatch.api_schema import docs_view, schema_view
from dispatch.forms import LoginForm

api_patterns = [
    path("", include("dispatch.api_urls")),
    path("", include("visits.api_urls")),
    path("", include("checklists.api_urls")),
    path("", include("surveys.api_urls")),
    path("", include("planning.api_urls")),
    path("", include("supervision.api_urls")),
]

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", health.full, name="health"),
    path("health/live/", health.live, name="health-live"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("api/schema/", schema_view, name="api-schema"),
    path("api/docs/", docs_view, name="api-docs"),
    path("visits/", include("visits.urls")),
    path("kit/", include("checklists.urls")),
    path("planning/", include("planning.urls")),
    path("survey/", include("surveys.urls")),
    # Issue 17: the customer's appointment link, short for the SMS (visits.services.links).
    path("c/", include("planning.customer_urls")),
    path("", include("supervision.urls")),
    path("", include("dispatch.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# A path no route matches: JSON under /api/, the page elsewhere.
handler404 = "dispatch.api_errors.not_found"
