"""The API's documentation pages, Swagger UI at /docs and ReDoc at /redoc, served whole by
this service.

Both pages load their scripts and styles from drf-spectacular-sidecar's static files, which
whitenoise serves like the admin's, never from a CDN: they work on a machine without internet
access. Each answers with a Content-Security-Policy that lets the page load from this service
only; what a page needs beyond that is said, with the reason, at its view.
"""

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

# Scripts, styles, fonts and fetches from this service only; no inline script, no eval.
# Images may also be data: URLs, which Swagger UI's stylesheet uses for its icons and which
# fetch nothing. No plugins, no <base>, forms post here only, and no page may frame these.
SELF_ONLY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


class ContentSecurityPolicyMixin:
    """Sends the view's `content_security_policy` with every answer it gives."""

    content_security_policy: dict[str, str]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = "; ".join(
            f"{directive} {sources}" for directive, sources in self.content_security_policy.items()
        )
        return response


class SwaggerUIView(ContentSecurityPolicyMixin, SpectacularSwaggerSplitView):
    """Swagger UI under the self-only policy, with nothing inline: the split view serves the
    script that starts Swagger UI from `/docs?script=`, and the page's few style rules come
    from a file (taskapi/templates/taskapi/swagger_ui.html). Swagger UI itself sets styles
    only through the DOM's style properties, which a policy does not govern."""

    template_name = "taskapi/swagger_ui.html"
    content_security_policy = SELF_ONLY


class RedocView(ContentSecurityPolicyMixin, SpectacularRedocView):
    """ReDoc under the self-only policy, plus two things it cannot do without.

    Inline styles: ReDoc writes its styles as <style> elements while it runs, and its bundle
    inserts one as it loads, before any script of ours could hand it a nonce. Injected CSS
    could only restyle the page here: with images and fonts from this service only, it cannot
    send anything anywhere. Workers from blob: URLs: the search index runs in a worker that
    the bundle makes from a blob, which only a script already allowed to run can create.

    ReDoc's menu shows Redocly's logo from cdn.redoc.ly; the policy refuses it, and the image
    hides itself.
    """

    template_name = "taskapi/redoc.html"
    content_security_policy = {
        **SELF_ONLY,
        "style-src": "'self' 'unsafe-inline'",
        "worker-src": "'self' blob:",
    }
