"""The review console in a real browser: Playwright driving Debian's Chromium against the local
stack, on a phone-sized and a desktop viewport. Each step is saved as a screenshot under
tests/output/console/ (git-ignored) for a person to look at.

Chromium comes from the project's own setup (`make install` installs Debian's package when it is
missing); Playwright's own browser download is never used.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from moto.moto_api._internal.models import moto_api_backend
from playwright.sync_api import Browser, Page, expect, sync_playwright

from takedown.incidents.model import Incident, IncidentStatus, NotificationStatus
from takedown.incidents.store import IncidentStore
from takedown.webhook import sign
from takedown_local.dynamodb_local import local_client
from takedown_local.stack import LocalStack, StackOptions, wait_for
from tests.conftest import EVENTS, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "tests" / "output" / "console"
ACCOUNT = "1000000000000000001"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
# One undone incident per viewport, so the two runs never share a state.
POSTS = {
    "phone": ("1900000000000000001", "1910000000000000001"),
    "desktop": ("1900000000000000002", "1910000000000000002"),
}
STREAM_PAYLOAD = json.loads((EVENTS / "payloads" / "aaa_retweet_illegal_stream.json").read_bytes())


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    # moto keeps its state per process: each stack run in this process would meet the secrets
    # another one created, so start from a clean moto and leave one behind.
    moto_api_backend.reset()
    try:
        with LocalStack(StackOptions()) as running:
            yield running
    finally:
        moto_api_backend.reset()


@pytest.fixture(scope="module")
def incidents(stack: LocalStack) -> dict[str, Incident]:
    """An undone illegal-stream retweet for each viewport, delivered to the webhook as X would."""
    store = IncidentStore(local_client("dynamodb", stack.dynamodb.endpoint_url), stack.incidents_table)
    found: dict[str, Incident] = {}
    with httpx.Client(timeout=15) as http:
        for viewport, (repost_id, source_id) in POSTS.items():
            envelope = copy.deepcopy(STREAM_PAYLOAD)
            tweet = envelope["tweet_create_events"][0]
            tweet["id_str"], tweet["id"] = repost_id, int(repost_id)
            tweet["retweeted_status"]["id_str"], tweet["retweeted_status"]["id"] = source_id, int(source_id)
            body = json.dumps(envelope, separators=(",", ":")).replace("/", "\\/").encode()
            headers = {
                "content-type": "application/json",
                "x-twitter-webhooks-signature": sign(stack.options.consumer_secret, body),
            }
            assert http.post(stack.ready_line()["webhook_url"], content=body, headers=headers).status_code == 200
            incident_id = Incident.id_for(ACCOUNT, repost_id)

            def reported(incident_id: str = incident_id) -> Incident | None:
                incident = store.get(incident_id)
                return incident if incident and incident.notification is NotificationStatus.SENT else None

            found[viewport] = wait_for(reported, 60)
            assert found[viewport].status is IncidentStatus.UNDONE
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def shot(page: Page, viewport: str, step: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{viewport}-{step}.png"), full_page=True)


def every_field_is_labelled(page: Page) -> list[str]:
    """The ids of visible form fields that no <label> names (WCAG 1.3.1, 4.1.2)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(f => !(f.labels && f.labels.length)).map(f => f.name + '#' + f.id)"""
    )


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_review_false_positive_restore_monitor_and_kill_switch(
    stack: LocalStack, incidents: dict[str, Incident], browser: Browser, viewport: str
) -> None:
    incident = incidents[viewport]
    context = browser.new_context(viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(stack.ready_line()["review_url"])

    # The queue, signed in as the local reviewer; the keyboard reaches "Skip to content" first.
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_text("Signed in as Local reviewer")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    assert every_field_is_labelled(page) == []
    shot(page, viewport, "1-queue")

    # The undone incident: why, and what Takedown did.
    page.locator(f"a[href$='/incidents/{incident.incident_id}']").click()
    expect(page.get_by_text("Undone on X").first).to_be_visible()
    expect(page.get_by_role("heading", name="Why")).to_be_visible()
    expect(page.get_by_role("heading", name="What Takedown did")).to_be_visible()
    assert every_field_is_labelled(page) == []
    shot(page, viewport, "2-incident")

    # A false positive needs its reason; then it is resolved.
    page.get_by_label("Why is it a false positive? (required)").fill("A charity boxing match, shown with permission")
    page.get_by_role("button", name="Mark false positive").click()
    expect(page.get_by_role("status")).to_have_text("Marked a false positive, with your reason.")
    expect(page.get_by_text("as false positive by local-reviewer@takedown.local")).to_be_visible()
    shot(page, viewport, "3-false-positive")

    # Restore asks first, then the retweet is back on X.
    page.get_by_role("link", name="Restore the retweet…").click()
    expect(page.get_by_role("heading", name="Restore the retweet on X?")).to_be_visible()
    shot(page, viewport, "4-restore-confirm")
    page.get_by_role("button", name="Yes, retweet it again").click()
    expect(page.get_by_role("status")).to_have_text("Restored: the repost is back on X.")
    shot(page, viewport, "5-restored")
    retweets = [c for c in stack.x.calls if c["method"] == "POST" and c["path"] == f"/2/users/{ACCOUNT}/retweets"]
    assert retweets, "the X stand-in was not asked to retweet"

    # Accounts: switch to monitor, then back to enforce.
    page.get_by_role("link", name="Accounts").click()
    section = page.locator("section", has=page.get_by_role("heading", name="@ExampleConstab: enforce mode"))
    section.get_by_label("Monitor (record only)").check()
    section.get_by_label("Why change the mode? (required)").fill(f"Trying monitor mode ({viewport})")
    section.get_by_role("button", name="Change mode").click()
    expect(page.get_by_role("heading", name="@ExampleConstab: monitor mode")).to_be_visible()
    expect(page.locator("ol.audit li", has_text="@ExampleConstab: mode enforce → monitor").first).to_be_visible()
    shot(page, viewport, "6-monitor")
    section = page.locator("section", has=page.get_by_role("heading", name="@ExampleConstab: monitor mode"))
    section.get_by_label("Enforce (undo)").check()
    section.get_by_label("Why change the mode? (required)").fill("Back to enforcing")
    section.get_by_role("button", name="Change mode").click()
    expect(page.get_by_role("heading", name="@ExampleConstab: enforce mode")).to_be_visible()

    # The kill switch on, then off; each change is in the audit log with who and why.
    page.get_by_label("Why turn it on? (required)").fill(f"Drill ({viewport})")
    page.get_by_role("button", name="Turn the kill switch on").click()
    expect(page.get_by_role("heading", name="Kill switch: ON — nothing is undone anywhere")).to_be_visible()
    page.get_by_role("link", name="Review queue").click()
    expect(page.get_by_text("The kill switch is ON")).to_be_visible()
    shot(page, viewport, "7-kill-switch-on")
    page.get_by_role("link", name="Accounts").first.click()
    page.get_by_label("Why turn it off? (required)").fill(f"Drill over ({viewport})")
    page.get_by_role("button", name="Turn the kill switch off").click()
    expect(page.get_by_role("heading", name="Kill switch: off")).to_be_visible()
    expect(page.locator("ol.audit li", has_text=f"Why: Drill over ({viewport})")).to_be_visible()
    shot(page, viewport, "8-kill-switch-off")
    context.close()


CONTRAST_FAILURES = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    const fg = lum(rgb(style.color).slice(0, 3)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) failures.push(`${el.tagName} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return failures;
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_meets_aa_text_contrast(
    stack: LocalStack, incidents: dict[str, Incident], browser: Browser, viewport: str
) -> None:
    """WCAG 2.2 AA 1.4.3: 4.5:1 for body text, 3:1 for large text, on each page's own colours."""
    context = browser.new_context(viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
    page = context.new_page()
    review = stack.ready_line()["review_url"]
    for path in ("", f"incidents/{incidents[viewport].incident_id}", "accounts"):
        page.goto(review + path)
        assert page.evaluate(CONTRAST_FAILURES) == [], path
    context.close()
