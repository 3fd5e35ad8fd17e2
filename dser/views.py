from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dser.http import serve_media
from dser.media import ADMIN_FOLDERS, in_folders
from dser.roles import ADMINS, ANNOTATORS, ML_ENGINEERS, has_role, role_required


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "is_annotator": has_role(user, ANNOTATORS),
        "is_admin": has_role(user, ADMINS),
        "is_ml_engineer": has_role(user, ML_ENGINEERS),
    }
    return render(request, "home.html", context)


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: the app answers and its database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@role_required(ADMINS)
@require_GET
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Media for the admin pages (clip audio, videos), seekable, and nothing else: exports and
    run artefacts go to ML engineers through the training pages; annotators get their videos
    through the annotation API, which checks that the comparison was served to them."""
    if not in_folders(path, ADMIN_FOLDERS):
        raise Http404("no such file")
    return serve_media(request, path)
