"""Playwright driving Debian's Chromium (never `playwright install`: it downloads, which fails here)."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    # Keep a screenshot of a failed test to look at.
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


@pytest.fixture
def console_errors(page) -> list[str]:
    """What the page logs as errors (script errors, content-security-policy refusals) while the test
    runs; the browser's own favicon request may 404. A test ends with `assert console_errors == []`."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.location.get("url", "").endswith("/favicon.ico")
            and errors.append(message.text)
        ),
    )
    return errors


@pytest.fixture
def sign_in(page, live_server):
    """sign_in(username, path): open the page at `path`, sign in on the login page it redirects to,
    and wait to be back on `path` (or on `lands_on`, where the page sends one on)."""
    from tests.factories import PASSWORD

    def go(username: str, path: str, *, lands_on: str | None = None) -> None:
        page.goto(f"{live_server.url}{path}")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}{lands_on or path}")

    return go
