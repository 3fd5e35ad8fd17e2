"""Roles: who may open what. Every page is behind login; only admins reach the admin."""
import os
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from corpus.models import Clip
from dser.roles import ADMINS, ANNOTATORS, ML_ENGINEERS, has_role
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


def test_create_user_gives_exactly_one_role(annotator, admin_user, engineer):
    assert [g.name for g in annotator.groups.all()] == [ANNOTATORS]
    assert has_role(admin_user, ADMINS) and not has_role(admin_user, ML_ENGINEERS)
    assert has_role(engineer, ML_ENGINEERS) and not has_role(engineer, ADMINS)
    assert admin_user.is_staff and not annotator.is_staff and not engineer.is_staff
    assert annotator.check_password(PASSWORD)


def test_create_user_changes_the_role_of_an_existing_user(annotator):
    call_command("create_user", "ann", "--role", ADMINS, stdout=StringIO())
    annotator.refresh_from_db()
    assert [g.name for g in annotator.groups.all()] == [ADMINS] and annotator.is_staff
    assert annotator.check_password(PASSWORD)  # unchanged without --password-env


def test_create_user_refuses_a_weak_password_and_keeps_no_user():
    os.environ["WEAK"] = "123"
    with pytest.raises(CommandError, match="too short"):
        call_command("create_user", "weak", "--role", ANNOTATORS, "--password-env", "WEAK")
    assert not User.objects.filter(username="weak").exists()


@pytest.mark.parametrize("url", ["/", "/admin/", "/admin/corpus/clip/", "/media/clips/x.wav"])
def test_every_page_needs_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_health_endpoint_is_public(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_an_annotator_cannot_open_the_admin(client, annotator):
    client.force_login(annotator)
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/corpus/clip/").status_code == 403


def test_an_ml_engineer_cannot_manage_the_corpus(client, engineer):
    client.force_login(engineer)
    assert client.get("/admin/corpus/clip/").status_code == 403


def test_only_admins_fetch_clip_audio(client, annotator, admin_user, media_root):
    (media_root / "clips").mkdir(parents=True)
    (media_root / "clips" / "a.wav").write_bytes(b"RIFF")
    client.force_login(annotator)
    assert client.get("/media/clips/a.wav").status_code == 403
    client.force_login(admin_user)
    response = client.get("/media/clips/a.wav")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"RIFF"
    assert client.get("/media/../dser/settings.py").status_code in (400, 404)  # no escape from MEDIA_ROOT


def test_an_admin_manages_clips(client, admin_user):
    Clip.objects.create(dataset="d", key="a", source_path="/x/a.wav", duration_s=1.0)
    client.force_login(admin_user)
    response = client.get("/admin/corpus/clip/")
    assert response.status_code == 200
    assert b"d:a" in response.content or b">a<" in response.content


def test_home_shows_each_role_its_own_work(client, annotator, admin_user):
    client.force_login(annotator)
    page = client.get("/").content.decode()
    assert "Annotate" in page and "Corpus" not in page
    client.force_login(admin_user)
    page = client.get("/").content.decode()
    assert "Corpus" in page and "Annotate" not in page


def test_login_form_logs_in_with_csrf(annotator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    refused = client.post("/accounts/login/", {"username": "ann", "password": PASSWORD})
    assert refused.status_code == 403
    response = client.post("/accounts/login/", {"username": "ann", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_repeated_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(client, admin_user, settings, login_url):
    """What was tried: DSER_LOGIN_FAILURES wrong passwords, then the right one, on the site's
    and the admin's login. What must hold: the right password is refused too (locked), the
    attempts are in the admin's list, and `axes_reset_username` lets the user in again."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login_url, {"username": "adm", "password": "wrong-guess"})
    locked = client.post(login_url, {"username": "adm", "password": PASSWORD})
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    other = Client()
    other.force_login(admin_user)
    assert b"adm" in other.get("/admin/axes/accessattempt/").content
    call_command("axes_reset_username", "adm", stdout=StringIO())
    assert client.post(login_url, {"username": "adm", "password": PASSWORD}).status_code == 302
