"""Roles at every edge: every URL pattern of the app (and the admin's door), requested with
GET by each role, answers what that role should get. A new URL without a row here fails the
test, so no route goes unreviewed."""
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from annotator import services
from annotator.models import ApiToken
from dser.roles import ADMINS, ANNOTATORS, ML_ENGINEERS
from tests.support import make_comparisons, make_user
from training.models import PreferenceExport, TrainingRun

pytestmark = pytest.mark.django_db
ROLES = ("anonymous", ANNOTATORS, ADMINS, ML_ENGINEERS)

# URL name -> GET status for (anonymous, annotator, admin, ML engineer). Pages send the
# anonymous to the login page (302); the API answers them 401, but for its machine-readable
# schema, which clients fetch before they sign in.
PAGES = {"home": (302, 200, 200, 200), "healthz": (200, 200, 200, 200),
         "login": (200, 200, 200, 200), "logout": (302, 405, 405, 405),
         "password_change": (302, 200, 200, 200), "password_change_done": (302, 200, 200, 200),
         "password_reset": (200, 200, 200, 200), "password_reset_done": (200, 200, 200, 200),
         "password_reset_confirm": (200, 200, 200, 200), "password_reset_complete": (200, 200, 200, 200),
         "annotate": (302, 200, 403, 403), "dashboard": (302, 403, 200, 403), "reinstate": (302, 405, 405, 405),
         "training": (302, 403, 403, 200), "training_new_export": (302, 405, 405, 405),
         "training_new_run": (302, 405, 405, 405), "training_run": (302, 403, 403, 200),
         "training_cancel_run": (302, 405, 405, 405), "training_next_round": (302, 405, 405, 405),
         "training_run_curves": (302, 403, 403, 200),
         "training_download_run": (302, 403, 403, 200), "training_download_export": (302, 403, 403, 200),
         "training_study": (302, 403, 403, 200), "training_study_plot": (302, 403, 403, 200),
         "openapi-json": (200, 200, 200, 200), "openapi-view": (302, 200, 200, 200),
         "next_comparison": (401, 200, 403, 403), "my_judgments": (401, 200, 403, 403),
         "create_judgment": (401, 200, 403, 403), "change_judgment": (405, 405, 405, 405),
         "comparison_video": (401, 200, 403, 403), "api-root": (404, 404, 404, 404)}
# The media route serves admins what the admin pages play, and nothing of the ML engineers'.
MEDIA = {"clips/demo/a.wav": (302, 403, 200, 403), "renders/1/sequence-1.mp4": (302, 403, 200, 403),
         "exports/1/triplets.jsonl": (302, 403, 404, 403), "runs/1/model.safetensors": (302, 403, 404, 403),
         "study/report.md": (302, 403, 404, 403), "clips/../exports/1/triplets.jsonl": (302, 403, 404, 403)}
ADMIN = {"/admin/": (302, 403, 200, 403), "/admin/annotator/judgment/": (302, 403, 200, 403)}


def url_patterns(patterns=None, prefix=""):
    """(route, name) of every pattern outside the Django admin."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if not str(pattern.pattern).startswith("admin/"):
                yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


@pytest.fixture
def world(pair_video, media_root):
    """One of everything a URL can name, and a signed-in client per role."""
    users = {role: make_user(role[:3], role) for role in ROLES[1:]}
    comparison = make_comparisons(pair_video, media_root, 2)[0]  # one judged, one left for `next`
    lease = services.serve_next(users[ANNOTATORS])
    judgment = services.judge(users[ANNOTATORS], lease.comparison_id, "left", True, 1000)
    for name in ("clips/demo/a.wav", "renders/1/sequence-1.mp4", "exports/1/triplets.jsonl", "runs/1/model.safetensors",
                 "runs/1/training_curves.png", "study/report.md", "study/plots/p.png"):
        (media_root / name).parent.mkdir(parents=True, exist_ok=True)
        (media_root / name).write_bytes(b"x")
    export = PreferenceExport.objects.create(directory=str(media_root / "exports" / "1"), triplets=1)
    run = TrainingRun.objects.create(export=export, init_checkpoint="-", directory=str(media_root / "runs" / "1"))
    clients = {"anonymous": Client()}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    args = {"run_id": run.pk, "export_id": export.pk, "judgment_id": judgment.pk, "comparison_id": comparison.pk,
            "name": "p.png", "uidb64": "MQ", "token": "set-password",
            "annotator_id": users[ANNOTATORS].pk}
    return clients, args


def route_url(route: str, args: dict) -> str:
    for key, value in args.items():
        route = route.replace(f"<int:{key}>", str(value)).replace(f"<str:{key}>", str(value)).replace(
            f"<{key}>", str(value))
    return "/" + route


def test_every_route_answers_each_role_as_it_should(world):
    clients, args = world
    routes = dict((name, route) for route, name in url_patterns() if name != "media")
    assert set(routes) == set(PAGES), "every URL needs a row in PAGES"
    got, wanted = {}, {}
    for name, route in routes.items():
        url = route_url(route, args)
        for role, expected in zip(ROLES, PAGES[name]):
            got[name, role] = clients[role].get(url).status_code
            wanted[name, role] = expected
    for path, expected in MEDIA.items():
        for role, status in zip(ROLES, expected):
            got[path, role], wanted[path, role] = clients[role].get(f"/media/{path}").status_code, status
    for url, expected in ADMIN.items():
        for role, status in zip(ROLES, expected):
            got[url, role], wanted[url, role] = clients[role].get(url).status_code, status
    wrong = {key: (got[key], wanted[key]) for key in got if got[key] != wanted[key]}
    assert not wrong, "(got, wanted): " + "; ".join(f"{key}: {value}" for key, value in sorted(wrong.items()))


def test_only_annotators_get_api_tokens_and_a_bearer_token_reaches_only_the_api(world):
    clients, _ = world
    token = ApiToken.issue(make_user("bot", ANNOTATORS))
    assert Client().get("/api/v1/judgments", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert Client().get("/annotate/", headers={"Authorization": f"Bearer {token}"}).status_code == 302
