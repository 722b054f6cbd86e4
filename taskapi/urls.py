"""Top-level routes. API routes are declared without a trailing slash (see middleware)."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularJSONAPIView

from taskapi.docs import RedocView, SwaggerUIView
from taskapi.views import HealthView, not_found

urlpatterns = [
    path("health", HealthView.as_view(), name="health"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("docs", SwaggerUIView.as_view(url_name="openapi"), name="docs"),
    path("redoc", RedocView.as_view(url_name="openapi"), name="redoc"),
    # The admin is HTML and its links are relative to /admin/, so the bare path redirects
    # there; API routes instead take either form without a redirect (see middleware).
    path("admin", RedirectView.as_view(pattern_name="admin:index", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/auth/", include("accounts.urls")),
    path("api/", include("tasks.urls")),
    # Unknown API paths answer with the JSON envelope even when DEBUG would show a page.
    re_path(r"^api(/.*)?$", not_found),
]

handler400 = "taskapi.views.bad_request"
handler403 = "taskapi.views.permission_denied"
handler404 = "taskapi.views.not_found"
handler500 = "taskapi.views.server_error"
