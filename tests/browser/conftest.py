"""Browser tests: Debian's Chromium driven by Playwright (Python) against the local stack
(dynalite + the API + the NCALayer stand-in, each a subprocess on a free port).

Never `playwright install`: the browser is the system's /usr/bin/chromium (`make test` installs
it). Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from devtools.stack import DEV_ADMIN_IIN, LocalStack, free_port, stop, wait_for_port
from tests.conftest import ROOT, contest_file
from tests.stage_proxy import StagePrefix

# How long a page may take to show what a test waits for: generous, for a loaded 2-core CI machine
# (Playwright's own default for `expect` is 5 s).
PATIENCE_MS = 15_000
expect.set_options(timeout=PATIENCE_MS)

SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
CLOSED_ID = "closed-contest"
UPCOMING_ID = "upcoming-contest"
BIG_ID = "big-contest"
BIG_NOMINATION = 369
EARLY_ID = "closed-early"  # the commission closed it early
LIVE_ID = "closing-live"  # open, closed early while a page shows it
FINALISTS_ID = "finalists-next"  # upcoming: its finalists are uploaded by the admin page
ADMIN_CLOSE_ID = "closed-by-admin"  # open: the admin page closes it early
ADMIN_IIN = DEV_ADMIN_IIN


def chromium_executable() -> str | None:
    for candidate in (os.environ.get("VOTING_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass
class Site:
    """The running stack as the browser tests see it."""

    stack: LocalStack
    other_contests: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.stack.api + "/"

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.stack.api + path, timeout=10) as response:  # noqa: S310 - local stack
            return json.loads(response.read())

    def standin(self, method: str, **args: object) -> dict:
        """A control message to the NCALayer stand-in (what a person picks in NCALayer's dialog)."""
        from websockets.sync.client import connect

        with connect(self.stack.ncalayer) as socket:
            socket.recv()  # NCALayer's greeting
            socket.send(json.dumps({"module": "devtools.standin", "method": method, "args": args}))
            return json.loads(socket.recv())


def commission_of(stack: LocalStack):
    from chalicelib.runtime import Runtime
    from chalicelib.settings import Settings

    return Runtime(Settings.from_environment(stack.environment())).commission


def add_contest(stack: LocalStack, document: dict) -> None:
    from chalicelib.voting.contest import parse_contest

    commission_of(stack).save_contest(parse_contest(document))


def opens_after_the_demo(now: datetime) -> datetime:
    """Open now, yet after the demo, so the page's default (the first open contest) stays the demo."""
    from devtools.demo import demo_contest

    demo_opens = datetime.fromisoformat(demo_contest(now)["opens_at"])
    return min(now, max(now - timedelta(seconds=30), demo_opens + timedelta(seconds=1)))


def big_contest(now: datetime) -> dict:
    """Open like the demo, one nomination as large as the ministry's largest (369 applicants)."""
    from devtools.demo import DEMO_ID, organization, person_name, region

    document = contest_file(BIG_ID, opens=opens_after_the_demo(now), closes=now + timedelta(days=2))
    document["title"] = {"kk": "Үлкен номинация", "ru": "Большая номинация", "en": "A large nomination"}
    document["nominations"][0]["nominees"] = [
        {"id": f"big-{i:03d}",
         "name": f"{person_name(i)} {i:03d}",
         "region": region(i),
         "organization": organization(i),
         "description": {"ru": f"Участник № {i}."}}
        for i in range(BIG_NOMINATION)]
    assert document["id"] != DEMO_ID
    return document


@pytest.fixture(scope="session")
def chromium() -> str:
    executable = chromium_executable()
    if executable is None:
        pytest.skip("Chromium not found (/usr/bin/chromium): `make test` installs Debian's chromium; "
                    "without root or sudo install it by hand or set VOTING_CHROMIUM")
    return executable


@pytest.fixture(scope="session")
def site(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    ncalayer_port = free_port()
    stack = LocalStack(tmp_path_factory.mktemp("stack"), api_port=free_port(), dynamodb_port=free_port(),
                       ncalayer_port=ncalayer_port, with_demo=True, admin_iin=ADMIN_IIN,
                       overrides={"VOTING_NCALAYER_URL": f"ws://127.0.0.1:{ncalayer_port}",
                                  "VOTING_ADMIN_IINS": ADMIN_IIN})
    stack.start()
    try:
        now = datetime.now(UTC)
        # A contest that has already closed and one that opens tomorrow, beside the open demo.
        closed = contest_file(CLOSED_ID, opens=now - timedelta(days=3), closes=now - timedelta(hours=1))
        closed["title"] = {"kk": "Өткен байқау (жабық)", "ru": "Прошедший конкурс (закрыт)",
                           "en": "Past contest (closed)"}
        add_contest(stack, closed)
        upcoming = contest_file(UPCOMING_ID, opens=now + timedelta(days=1, hours=2, minutes=30),
                                closes=now + timedelta(days=6))
        upcoming["title"] = {"kk": "Келесі байқау", "ru": "Следующий конкурс", "en": "Next contest"}
        add_contest(stack, upcoming)
        add_contest(stack, big_contest(now))
        for contest_id, title in ((EARLY_ID, ("Мерзімінен бұрын аяқталған", "Завершён досрочно", "Closed early")),
                                  (LIVE_ID, ("Жүріп жатқан байқау", "Идущий конкурс", "A running contest")),
                                  (ADMIN_CLOSE_ID, ("Комиссия жабатын байқау", "Конкурс, который закроет комиссия",
                                                    "The contest the commission closes"))):
            document = contest_file(contest_id, opens=opens_after_the_demo(now), closes=now + timedelta(days=3))
            document["title"] = dict(zip(("kk", "ru", "en"), title, strict=True))
            add_contest(stack, document)
        commission_of(stack).close(EARLY_ID)
        finalists = contest_file(FINALISTS_ID, opens=now + timedelta(days=10), closes=now + timedelta(days=15))
        finalists["title"] = {"kk": "Келесі жылғы байқау", "ru": "Конкурс следующего года", "en": "Next year's contest"}
        add_contest(stack, finalists)
        yield Site(stack)
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def stage(site: Site) -> Iterator[StagePrefix]:
    """The same API behind a stage prefix, as API Gateway serves it (`…/api/`)."""
    proxy = StagePrefix(site.stack.api_port)
    yield proxy
    proxy.close()


def second_api(site: Site, **settings: str) -> Iterator[str]:
    """The same API and data, served by a second API process with these settings of its stage
    changed; yields its page's address. The page itself has no test-only switch."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "devtools.api_server", "--port", str(port)],  # noqa: S603
                               cwd=ROOT, env={**site.stack.environment(), **settings}, start_new_session=True)
    try:
        wait_for_port(port, process=process)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(process)


@pytest.fixture(scope="session")
def site_without_ncalayer(site: Site) -> Iterator[str]:
    """VOTING_NCALAYER_URL names a port nobody listens on: the page meets a refused connection,
    exactly as when NCALayer is not running."""
    yield from second_api(site, VOTING_NCALAYER_URL=f"ws://127.0.0.1:{free_port()}")


@pytest.fixture(scope="session")
def browser(chromium: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def standin(site: Site) -> Iterator[Callable[..., dict]]:
    yield site.standin
    site.standin("reset")


@pytest.fixture
def open_page(browser) -> Iterator[Callable[..., object]]:
    """open_page(url, device=PHONE, locale="ru-RU") → a Playwright page; console errors (CSP
    violations included) fail the test."""
    contexts, errors = [], []

    def open_(url: str, device: dict = PHONE, locale: str = "ru-RU"):
        context = browser.new_context(locale=locale, timezone_id="Europe/Berlin", **device)
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(PATIENCE_MS)
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    # A refused WebSocket is logged by Chromium itself; everything else is a defect of the page.
    unexpected = [e for e in errors if "WebSocket connection to" not in e and "Failed to load resource" not in e]
    assert unexpected == []


def screenshot(page, name: str, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def decoded_qr(page, image_id: str) -> str:
    """The QR code the browser shows in <img id=image_id>, read with zxing-cpp as a camera would: the
    image drawn onto a canvas at its displayed size, its pixels in grey, decoded."""
    import zxingcpp

    image = page.locator(f"#{image_id}")
    image.wait_for()
    page.wait_for_function("id => document.getElementById(id).complete && document.getElementById(id).naturalWidth",
                           arg=image_id)
    width, height, grey = page.evaluate("""id => {
        const img = document.getElementById(id);
        const w = Math.round(img.getBoundingClientRect().width), h = Math.round(img.getBoundingClientRect().height);
        const canvas = document.createElement('canvas');
        canvas.width = w; canvas.height = h;
        const context = canvas.getContext('2d');
        context.fillStyle = '#fff'; context.fillRect(0, 0, w, h);
        context.drawImage(img, 0, 0, w, h);
        const rgba = context.getImageData(0, 0, w, h).data, grey = new Array(w * h);
        for (let i = 0; i < w * h; i++) grey[i] = Math.round((rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3);
        return [w, h, grey];
    }""", image_id)
    assert width >= 200 and height == width
    found = zxingcpp.read_barcodes(memoryview(bytes(grey)).cast("B", (height, width)),
                                   formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    return found[0].text
