from django.contrib import admin
from django.urls import include, path

from annotator.urls import api_urls
from dser import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("media/<path:path>", views.media, name="media"),
    path("", include("annotator.urls")),
    path("", include("training.urls")),
    path("api/v1/", api_urls()),
]
