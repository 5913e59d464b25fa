"""One real-browser run: headless Debian Chromium driven by Playwright against `make run`'s
two processes (the API and the Streamlit UI) on 127.0.0.1. Saves a screenshot artifact."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.process import ui_command, wait_until_up
from tests.conftest import ARTIFACTS, DEV_SET, ROOT
from tests.service_fixtures import Service, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def ui_url(service: Service) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    port = free_port()
    env = {
        **os.environ,
        "DOCENT_API_URL": service.url,
        "DOCENT_USERS_FILE": str(service.settings.users_file),
        "DOCENT_UI_DEMO_SIGN_IN": "1",
    }
    proc = subprocess.Popen(
        ui_command("127.0.0.1", port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    assert wait_until_up(f"{url}/_stcore/health", timeout_s=60, proc=proc), "the UI did not start"
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_a_person_asks_a_dev_question_and_sees_a_cited_answer(
    service: Service, ui_url: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    case = next(
        json.loads(line)
        for line in DEV_SET.read_text().splitlines()
        if json.loads(line)["id"] == "d03"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(ui_url)
        page.get_by_label("API key", exact=True).fill(service.keys["bob"])
        page.get_by_role("button", name="Sign in").click()
        chat = page.get_by_placeholder("Ask about your company's policies and how-tos")
        chat.fill(case["question"])
        chat.press("Enter")
        answer = page.get_by_text(case["must_include"][0], exact=False).first
        expect(answer).to_be_visible(timeout=120_000)
        citation = page.get_by_text("[1] PIV card", exact=False).first
        expect(citation).to_be_visible()
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "ui-answer.png"), full_page=True)
        page.get_by_text("[1] PIV card", exact=False).last.click()
        expect(page.get_by_text("piv.md", exact=False).first).to_be_visible()
        page.wait_for_timeout(1000)  # let the expander finish opening
        page.screenshot(path=str(ARTIFACTS / "ui-source-open.png"), full_page=True)
        browser.close()
