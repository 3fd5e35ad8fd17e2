"""The annotation page in a real headless Chromium (Debian's, driven by Playwright), against
a live server on the test database. With DSER_SCREENSHOTS=DIR (`make screenshots`) it also
saves the pictures the README shows."""
import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from annotator.models import Judgment, Lease
from annotator.stats.qualification import Rules
from tests.support import PASSWORD, annotators, make_comparisons, make_user

pytestmark = pytest.mark.django_db(transaction=True)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # in between are still plain synchronous calls (Django would otherwise refuse them).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def pages_closed_before_the_flush(browser, live_server):
    """Each test's pages close when it ends, and the server gets a moment to finish what they
    asked last, before the database is emptied: a request still in flight holds row locks
    that the flush's TRUNCATE would deadlock with. (Set up after live_server, so torn down
    before it.)"""
    yield
    for context in browser.contexts:
        context.close()
    time.sleep(0.5)


def screenshot(page, name: str) -> None:
    folder = os.environ.get("DSER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def signed_in(browser, live_server, username: str):
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    return page


def answers_unlocked(page):
    expect(page.locator(".answers button[data-choice=left]")).to_be_enabled(timeout=15_000)


def test_an_annotator_judges_pairs_with_keyboard_and_mouse_and_changes_an_answer(browser, live_server, pair_video, media_root):
    comparisons = make_comparisons(pair_video, media_root, 4)
    annotators("ann", "bob")
    page = signed_in(browser, live_server, "ann")
    page.goto(f"{live_server.url}/annotate/")
    expect(page.locator("#task")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    page.keyboard.press("1")  # before the video ended: refused on the page, nothing sent
    expect(page.locator("#status")).to_contain_text("Watch the video to the end first")
    assert Judgment.objects.count() == 0 and page.locator(".answers button[data-choice=left]").is_disabled()

    answers_unlocked(page)
    first = Lease.objects.get(annotator__username="ann").comparison_id
    page.keyboard.press("1")  # keyboard: left better
    expect(page.locator("#done-today")).to_have_text("1")
    answers_unlocked(page)
    page.click(".answers button[data-choice=right]")  # mouse: right better
    expect(page.locator("#done-today")).to_have_text("2")
    assert page.evaluate("window.sameDocument") is True  # the next pairs came without a reload

    expect(page.locator("#history tbody tr")).to_have_count(2)
    change = page.locator(f"#history tr:has-text('comparison {first}') select")
    change.select_option("both_poor")
    expect(page.locator(f"#history tr:has-text('comparison {first}') .choice")).to_have_text("both poor")
    answers_unlocked(page)
    screenshot(page, "annotate.png")

    other = signed_in(browser, live_server, "bob")
    other.goto(f"{live_server.url}/annotate/")
    expect(other.locator("#task")).to_be_visible()
    held = {lease.annotator.username: lease.comparison_id for lease in Lease.objects.filter(judgment__isnull=True)}
    assert held["ann"] != held["bob"]  # the second annotator gets different work

    mine = {j.comparison_id: j.choice for j in Judgment.objects.filter(annotator__username="ann")}
    assert len(mine) == 2 and mine[first] == "both_poor" and set(mine.values()) == {"both_poor", "right"}
    assert all(j.watched_to_end and j.response_ms > 1000 for j in Judgment.objects.all())
    assert not Judgment.objects.filter(annotator__username="bob").exists()
    assert {c.pk for c in comparisons} >= set(mine) | set(held.values())


def test_an_admin_sees_the_dashboard(browser, live_server, pair_video, media_root):
    make_comparisons(pair_video, media_root, 3, overlap=2, controls=1)
    ann, bob = annotators("ann", "bob")
    from annotator import services

    for user, choice in ((ann, "left"), (bob, "right")):
        while (lease := services.serve_next(user)) is not None:
            services.judge(user, lease.comparison_id, choice, True, 2500)
    make_user("adm", "admins")
    page = signed_in(browser, live_server, "adm")
    page.goto(f"{live_server.url}/annotate/dashboard/")
    expect(page.locator("h1")).to_have_text("Annotation dashboard")
    expect(page.locator("table").first).to_contain_text("ann")
    screenshot(page, "dashboard.png")


def test_the_page_records_only_what_the_annotator_meant(browser, live_server, pair_video, media_root):
    """What was tried, in Chromium: answer keys with a modifier and ↓, a double press while the
    first answer is on its way, a failed network, Space on a focused answer button, and the
    marks by keyboard. What must hold: only deliberate answers are saved, once each; a failed
    one stays answerable; status changes are announced; focus returns to the video."""
    make_comparisons(pair_video, media_root, 4)
    annotators("ann")
    page = signed_in(browser, live_server, "ann")
    page.goto(f"{live_server.url}/annotate/")
    assert page.get_attribute("#status", "aria-live") == "polite"
    answers_unlocked(page)

    for keys in ("Control+1", "Meta+2", "Alt+1", "ArrowDown"):  # shortcuts and scrolling, not answers
        page.keyboard.press(keys)
    page.wait_for_timeout(300)
    assert Judgment.objects.count() == 0

    mark = page.locator("#seekbar .mark").first  # the marks answer to the keyboard, and say so
    mark.focus()
    page.keyboard.press("Enter")
    expect(mark).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#status")).to_contain_text("Looping")
    page.keyboard.press("Enter")
    expect(mark).to_have_attribute("aria-pressed", "false")

    held = []  # the first answer's request, held back until the second key press is in
    page.route("**/api/v1/judgments", lambda route: held.append(route) if route.request.method == "POST"
               else route.continue_())
    page.evaluate("document.activeElement.blur()")  # focus away from the mark
    page.keyboard.press("1")
    page.keyboard.press("1")  # while the first is on its way
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#done-today")).to_have_text("1")
    assert len(held) == 1 and Judgment.objects.count() == 1
    page.wait_for_function("document.activeElement && document.activeElement.id === 'player'")  # the next pair
    page.unroute("**/api/v1/judgments")

    answers_unlocked(page)
    page.route("**/api/v1/judgments", lambda route: route.abort() if route.request.method == "POST"
               else route.continue_())
    page.keyboard.press("2")
    expect(page.locator("#status")).to_contain_text("Not saved")
    answers_unlocked(page)  # still answerable
    page.unroute("**/api/v1/judgments")
    page.locator(".answers button[data-choice=right]").focus()
    page.keyboard.press(" ")  # Space presses the focused button (it does not pause the video)
    expect(page.locator("#done-today")).to_have_text("2")
    assert sorted(Judgment.objects.values_list("choice", flat=True)) == ["left", "right"]


def test_an_annotator_who_fails_their_checks_is_warned_then_told_why_they_are_no_longer_served(
        browser, live_server, pair_video, media_root, settings):
    """What was tried: qualification on, a new annotator answers five controls the wrong way
    with the keyboard, each after watching. What must hold: the page says their first answers
    are checks, warns once two in a row failed, and after the fifth shows why they are no
    longer served instead of a video or "nothing left"."""
    settings.QUALIFICATION = Rules()
    make_comparisons(pair_video, media_root, 8, controls=8)  # every one a control; the known answer: left
    annotators("eve")
    page = signed_in(browser, live_server, "eve")
    page.goto(f"{live_server.url}/annotate/")
    expect(page.locator("#qualifying")).to_be_visible()
    for failed in range(5):
        answers_unlocked(page)
        if failed < 2:
            expect(page.locator("#warning")).to_be_hidden()
        else:
            expect(page.locator("#warning")).to_contain_text(f"Your last {failed} checks failed")
        page.keyboard.press("2")  # right better: the wrong side
        expect(page.locator("#done-today")).to_have_text(str(failed + 1))
    expect(page.locator("#blocked")).to_be_visible()
    expect(page.locator("#blocked-reason")).to_contain_text("5 of 5 checks failed")
    expect(page.locator("#task")).to_be_hidden()
    expect(page.locator("#empty")).to_be_hidden()


def test_an_annotator_answers_each_stretch_and_the_clip_with_the_keyboard_alone(
        browser, live_server, pair_video, media_root, settings):
    """What was tried, in Chromium, keyboard only: on a comparison with two marked stretches, s
    selects the first, 1 answers it (left better) and moves to the second, h loops it at half
    speed, 0 answers it (same), and 2 answers the clip; then with segment votes required, the
    overall answer before the stretches. What must hold: the judgment and both stretch answers
    are saved as given; under "required" the overall answer waits for every stretch."""
    for comparison in make_comparisons(pair_video, media_root, 2):
        comparison.marks = [{"start": 0.2, "end": 0.8, "difference": 0.9}, {"start": 1.0, "end": 1.6, "difference": 0.5}]
        comparison.save(update_fields=["marks"])
    annotators("ann")
    page = signed_in(browser, live_server, "ann")
    page.goto(f"{live_server.url}/annotate/")
    expect(page.locator("#segments .segment")).to_have_count(2)
    answers_unlocked(page)
    page.keyboard.press("s")
    expect(page.locator("#segments .segment").first).to_be_focused()
    page.keyboard.press("1")
    second = page.locator("#segments .segment").nth(1)
    expect(second).to_be_focused()
    page.keyboard.press("h")
    expect(second.locator(".slow")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.getElementById('player').playbackRate") == 0.5
    page.keyboard.press("0")
    expect(page.locator("#player")).to_be_focused()  # every stretch answered: the keys answer the clip
    settings.SEGMENT_VOTES = "required"  # from the next comparison on (this one has every stretch answered)
    page.keyboard.press("2")
    expect(page.locator("#done-today")).to_have_text("1")
    judgment = Judgment.objects.get()
    assert judgment.choice == "right"
    assert list(judgment.segments.values_list("index", "choice")) == [(1, "left"), (2, "same")]

    expect(page.locator("#status")).to_contain_text("Answer every stretch first (2 left)", timeout=15_000)
    page.keyboard.press("1")  # the overall answer, too soon
    page.wait_for_timeout(300)
    assert Judgment.objects.count() == 1 and page.locator(".answers button[data-choice=left]").is_disabled()
    page.keyboard.press("Shift+Digit2")  # the second stretch by its number
    expect(page.locator("#segments .segment").nth(1)).to_be_focused()
    page.keyboard.press("2")
    page.keyboard.press("Shift+Digit1")
    page.keyboard.press("2")
    answers_unlocked(page)
    page.keyboard.press("1")
    expect(page.locator("#done-today")).to_have_text("2")
    latest = Judgment.objects.order_by("-pk").first()
    assert latest.choice == "left" and list(latest.segments.values_list("choice", flat=True)) == ["right", "right"]
