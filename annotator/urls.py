from django.urls import path

from annotator import views
from annotator.api import api

urlpatterns = [
    path("annotate/", views.annotate, name="annotate"),
    path("annotate/dashboard/", views.dashboard, name="dashboard"),
    path("annotate/dashboard/reinstate/<int:annotator_id>/", views.reinstate, name="reinstate"),
]


def api_urls():
    """The API's routes. Scripts come with a bearer token and no session, so Django's login
    redirect must not stand in front of them: the API checks every request itself."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.name != "openapi-view":  # the human-readable docs page stays behind the login
            pattern.callback.login_required = False
    return patterns, app_name, namespace
