"""The API's OpenAPI schema and its Swagger page, for staff only (settings.SPECTACULAR_SETTINGS
SERVE_PERMISSIONS), throttled like the rest of the API. dispatch.openapi builds the schema."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .permissions import role_required
from .roles import Role


class SchemaView(SpectacularAPIView):
    throttle_scope = "schema"


class DocsView(SpectacularSwaggerView):
    throttle_scope = "schema"


schema_view = SchemaView.as_view()
# A page for people: an anonymous visitor is sent to the login page rather than answered 401.
docs_view = role_required(*Role)(DocsView.as_view(url_name="api-schema"))
