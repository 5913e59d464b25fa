"""The Streamlit app driven by AppTest against a real Docent service on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.service_fixtures import Service, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]
APP = str(Path(__file__).resolve().parents[2] / "ui" / "streamlit_app.py")


@pytest.fixture(autouse=True)
def loopback_ui() -> Iterator[None]:
    """The UI as `make run` serves it: bound to 127.0.0.1."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)


def app_for(
    service: Service, monkeypatch: pytest.MonkeyPatch, url: str | None = None, demo: bool = True
) -> AppTest:
    monkeypatch.setenv("DOCENT_API_URL", url or service.url)
    monkeypatch.setenv("DOCENT_USERS_FILE", str(service.settings.users_file))
    monkeypatch.setenv("DOCENT_UI_DEMO_SIGN_IN", "1" if demo else "0")
    at = AppTest.from_file(APP, default_timeout=180)
    return at.run()


def signed_in(service: Service, monkeypatch: pytest.MonkeyPatch, user: str = "bob") -> AppTest:
    at = app_for(service, monkeypatch)
    at.selectbox[0].select(user)
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def test_sign_in_with_a_demo_user_shows_the_chat(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = signed_in(service, monkeypatch)
    assert at.title[0].value == "Ask Docent"
    assert "Bob" in "\n".join(str(m.value) for m in at.sidebar.markdown)


def test_demo_sign_in_needs_the_flag_and_a_loopback_address(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit import config

    assert app_for(service, monkeypatch).selectbox  # make run's way: flag set, 127.0.0.1
    off = app_for(service, monkeypatch, demo=False)
    assert not off.selectbox and off.text_input  # only a key gets in
    config.set_option("server.address", "0.0.0.0")
    exposed = app_for(service, monkeypatch)
    assert not exposed.selectbox and exposed.text_input


def test_bad_key_and_api_down_give_friendly_errors(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_for(service, monkeypatch)
    at.text_input[0].input("dk_wrong")
    at.button[0].click().run()
    assert "key was not accepted" in at.error[0].value
    down = app_for(service, monkeypatch, url=f"http://127.0.0.1:{free_port()}")
    down.text_input[0].input("dk_any")
    down.button[0].click().run()
    assert "not reachable" in down.error[0].value
    assert not down.exception


def test_ask_shows_a_cited_answer_sources_details_and_takes_feedback(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = signed_in(service, monkeypatch)
    at.chat_input[0].set_value("On which weekday does GSA process new badges?").run()
    assert not at.exception
    assert "wednesday" in texts(at).lower()
    # labels and paths are escaped markdown ("\[1\] PIV card"): compare what they show
    labels = [e.label.replace("\\", "") for e in at.expander]
    assert any(label.startswith("[1] PIV card") for label in labels) and "Details" in labels
    assert any("piv.md" in str(c.value).replace("\\", "") for c in at.caption)
    # the cited section opens with the supporting sentence highlighted
    at.button(key=next(b.key for b in at.button if b.key and b.key.endswith("-0-1"))).click().run()
    assert not at.exception and not at.error
    preview = [str(m.value) for m in at.markdown if ":orange-background[" in str(m.value)]
    assert preview and "wednesday" in preview[0].lower()
    at.feedback[0].set_value(0).run()  # thumbs down
    at.text_input[0].input("Please add the building address").run()
    at.button(
        key=next(b.key for b in at.button if b.key and b.key.startswith("fbs-"))
    ).click().run()
    assert any("Thanks for the feedback" in str(c.value) for c in at.caption)
    rows = service.state.repo.feedback_with_traces("down")
    assert any(fb.comment == "Please add the building address" for fb, _ in rows)


def test_abstention_looks_different_and_follow_up_keeps_context(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = signed_in(service, monkeypatch, "carol")
    at.chat_input[0].set_value("What is the TTS reimbursement rate for home solar panels?").run()
    assert at.warning and "Not found in your documents" in at.warning[0].value
    at.chat_input[0].set_value("How many weeks of paid parental leave do TTS employees get?").run()
    at.chat_input[0].set_value("and do I need to sign an agreement to return to work?").run()
    assert not at.exception
    details = [str(m.value) for m in at.markdown if "Question as understood" in str(m.value)]
    assert "parental leave" in details[-1].lower()
    assert any(b.label.startswith("What is the TTS") for b in at.sidebar.button)  # listed


def test_admin_page_for_admins_only(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    bob = signed_in(service, monkeypatch, "bob")
    assert bob.sidebar.radio[0].options == ["Chat", "Keys"]
    with service.client("bob") as c:  # an answer in the quality report, and a down-vote
        asked = c.post("/v1/ask", json={"question": "What is 18F?"})
        assert asked.status_code == 200
        trace_id = asked.json()["trace_id"]
        rating = {"trace_id": trace_id, "rating": "down", "comment": "too vague"}
        assert c.post("/v1/feedback", json=rating).status_code == 200
    alice = signed_in(service, monkeypatch, "alice")
    alice.sidebar.radio[0].set_value("Admin").run()
    assert not alice.exception and alice.title[0].value == "Admin"
    assert int(alice.metric[0].value) > 1000
    headers = [h.value for h in alice.subheader]
    assert {"Answer quality over time", "Usage by user", "Usage by group"} <= set(headers)
    assert any(h.startswith("Prompt versions (against answer-v2") for h in headers)
    assert any("unsupported" in str(c.value) for c in alice.caption)
    # the editor's worklist: the down-voted answer, corrected from the page
    assert "Down-voted answers" in headers
    alice.text_area(key=f"fix-{trace_id}").input("18F is a digital services agency [1].")
    alice.button(key=f"save-{trace_id}").click().run()
    assert not alice.exception and alice.success
    corrected = {t.trace_id: c.answer for t, c in service.state.repo.corrected()}
    assert corrected[trace_id] == "18F is a digital services agency [1]."
    # question drift, and keeping the current window as its reference
    assert "Question drift" in headers
    keep = next(b for b in alice.button if b.label == "Keep the current window as the reference")
    keep.click().run()
    assert not alice.exception
    drift = service.state.answering.drift
    if drift.seen < drift.window:  # the shared service has answered fewer than a window
        assert any("needs a full window" in str(e.value) for e in alice.error)
    else:
        assert not alice.error and drift.has_reference


def test_a_person_makes_a_key_for_a_tool_sees_it_once_and_revokes_it(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    at = signed_in(service, monkeypatch, "bob")
    at.sidebar.radio[0].set_value("Keys").run()
    assert at.title[0].value == "API keys for tools"
    next(t for t in at.text_input if t.label == "What is it for?").input("my notebook")
    next(b for b in at.button if b.label == "Create key").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    key = at.code[0].value
    assert key.startswith("dpk_")
    with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {key}"}) as tool:
        assert tool.get("/v1/me").json()["id"] == "bob"
        revoke = next(b for b in at.button if b.key and b.key.startswith("revoke-"))
        revoke.click().run()
        assert not at.exception
        assert tool.get("/v1/me").status_code == 401
    assert "No keys yet." in [str(c.value) for c in at.caption]
