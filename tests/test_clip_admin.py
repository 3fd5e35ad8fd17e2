"""Admins exclude clips (with a reason) and filter the corpus in the admin."""
import pytest

from corpus.models import Clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def make_clips():
    return [
        Clip.objects.create(dataset="meld", key="dev/dia0_utt0", split="dev", source_path="a", duration_s=0.8),
        Clip.objects.create(dataset="meld", key="dev/dia0_utt1", split="dev", source_path="b", duration_s=4.2),
        Clip.objects.create(dataset="meld", key="dev/dia0_utt2", split="dev", source_path="c",
                            status=Clip.Status.FAILED, failure_kind="corrupt",
                            status_reason="corrupt: moov atom not found"),
    ]


def test_exclude_asks_for_a_reason_then_excludes_only_ready_clips(admin_client):
    ready, other, failed = make_clips()
    ids = [str(ready.pk), str(failed.pk)]
    url = "/admin/corpus/clip/"
    confirm = admin_client.post(url, {"action": "exclude_clips", "_selected_action": ids})
    assert confirm.status_code == 200 and b"background laughter" in confirm.content
    ready.refresh_from_db()
    assert ready.status == Clip.Status.READY  # nothing changes before the reason is confirmed

    admin_client.post(url, {"action": "exclude_clips", "_selected_action": ids, "apply": "1", "reason": "laugh track"})

    ready.refresh_from_db()
    failed.refresh_from_db()
    other.refresh_from_db()
    assert (ready.status, ready.status_reason) == (Clip.Status.EXCLUDED, "laugh track")
    assert (failed.status, failed.status_reason) == (Clip.Status.FAILED, "corrupt: moov atom not found")
    assert other.status == Clip.Status.READY


def test_restore_returns_excluded_clips(admin_client):
    ready, _, _ = make_clips()
    Clip.objects.filter(pk=ready.pk).update(status=Clip.Status.EXCLUDED, status_reason="laughter")
    admin_client.post("/admin/corpus/clip/", {"action": "restore_clips", "_selected_action": [ready.pk]})
    ready.refresh_from_db()
    assert (ready.status, ready.status_reason) == (Clip.Status.READY, "")


@pytest.mark.parametrize("query, expected", [
    ("status__exact=failed", {"dev/dia0_utt2"}),
    ("duration=lt1", {"dev/dia0_utt0"}),
    ("duration=3to10", {"dev/dia0_utt1"}),
])
def test_the_list_filters_by_status_and_duration_and_shows_reasons(admin_client, query, expected):
    make_clips()
    page = admin_client.get(f"/admin/corpus/clip/?{query}").content.decode()
    shown = {key for key in ("dev/dia0_utt0", "dev/dia0_utt1", "dev/dia0_utt2") if key in page}
    assert shown == expected
    if "failed" in query:
        assert "moov atom not found" in page


def test_the_list_counts_clips_by_status_and_failures_by_reason(admin_client):
    make_clips()
    Clip.objects.create(dataset="meld", key="dev/dia0_utt3", source_path="d", status=Clip.Status.FAILED,
                        failure_kind="missing", status_reason="missing: no file at d")
    page = admin_client.get("/admin/corpus/clip/").content.decode()
    assert "<strong>2</strong> ready" in page and "<strong>0</strong> excluded" in page
    assert "<strong>2</strong> failed" in page and "corrupt 1, missing 1" in page
