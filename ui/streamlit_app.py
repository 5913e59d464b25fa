"""Docent chat: `streamlit run ui/streamlit_app.py`. Talks to the API at DOCENT_API_URL over
HTTP only. (Not named app.py: streamlit puts ui/ first on sys.path, and a ui/app.py would
shadow the `app` package this page imports.)"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import streamlit as st

from core.lifeline import watch_parent_from_env
from ui.client import ApiProblem, DocentClient
from ui.render import (
    highlighted,
    link_hosts,
    marked_answer,
    plain,
    safe_markdown,
    source_label,
)

API_URL = os.environ.get("DOCENT_API_URL", "http://127.0.0.1:8000")
# the API's setting, read the same way: a JSON list (a comma-separated one is taken too)
ALLOWED_HOSTS = link_hosts(os.environ.get("DOCENT_ANSWER__ALLOWED_LINK_HOSTS", ""))
SSO_HEADER = os.environ.get("DOCENT_UI_SSO_HEADER")  # e.g. X-Forwarded-Access-Token


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def demo_sign_in_allowed() -> bool:
    """Picking a demo user without a key: only when asked for (DOCENT_UI_DEMO_SIGN_IN=1,
    which `make run` sets), in development, and with the UI bound to loopback, so that
    nobody on the network can sign in as the demo admin."""
    return (
        os.environ.get("DOCENT_UI_DEMO_SIGN_IN") == "1"
        and os.environ.get("DOCENT_ENVIRONMENT", "development") == "development"
        and (st.get_option("server.address") or "") in LOOPBACK
    )


def demo_keys() -> dict[str, str]:
    """The demo users' keys written by `make run`, when demo sign-in is allowed."""
    users = os.environ.get("DOCENT_USERS_FILE")
    if not users or not demo_sign_in_allowed():
        return {}
    keys_file = Path(users + ".keys")
    if not keys_file.exists():
        return {}
    pairs = (line.split("=", 1) for line in keys_file.read_text().split() if "=" in line)
    return {user: key for user, key in pairs}


def client() -> DocentClient:
    return DocentClient(API_URL, st.session_state["key"])


def sign_in() -> None:
    st.title("Docent")
    st.write("Answers from your company's documents, with sources.")
    if SSO_HEADER:
        token = st.context.headers.get(SSO_HEADER)
        if token:
            _try_key(token)
            return
    keys = demo_keys()
    with st.form("sign-in"):
        who = st.selectbox("Demo user", ["(paste a key instead)", *keys]) if keys else None
        pasted = st.text_input("API key", type="password", help="Ask your administrator for one.")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        key = keys.get(who or "", "") if who and who in keys else pasted.strip()
        if not key:
            st.error("Pick a demo user or paste your key.")
            return
        _try_key(key)


def _try_key(key: str) -> None:
    try:
        me = DocentClient(API_URL, key).me()
    except ApiProblem as exc:
        st.error(exc.message)
        return
    st.session_state.update(key=key, me=me, conversation_id=None, turns=[])
    st.rerun()


def sidebar() -> str:
    me = st.session_state["me"]
    st.sidebar.markdown(f"**{me['name']}**  \nGroups: {', '.join(me['groups']) or 'none'}")
    pages = ["Chat", "Keys", "Admin"] if me["admin"] else ["Chat", "Keys"]
    page: str = st.sidebar.radio("Page", pages, horizontal=True) or "Chat"
    if st.sidebar.button("New conversation", icon=":material/add:", use_container_width=True):
        st.session_state.update(conversation_id=None, turns=[])
        st.rerun()
    st.sidebar.subheader("Conversations")
    try:
        conversations = client().conversations()
    except ApiProblem as exc:
        st.sidebar.error(exc.message)
        conversations = []
    if not conversations:
        st.sidebar.caption("No conversations yet.")
    for conv in conversations:
        current = conv["id"] == st.session_state.get("conversation_id")
        if st.sidebar.button(
            conv["title"],
            key=f"open-{conv['id']}",
            use_container_width=True,
            icon=":material/chat:" if current else None,
            type="primary" if current else "secondary",
            help="Current conversation" if current else "Open",
        ):
            _open(conv["id"])
        if current:
            with st.sidebar.expander("Rename or delete"):
                title = st.text_input("New title", value=conv["title"], key=f"title-{conv['id']}")
                if st.button("Rename", key=f"rename-{conv['id']}"):
                    client().rename(conv["id"], title)
                    st.rerun()
                if st.button("Delete conversation", key=f"delete-{conv['id']}"):
                    client().delete(conv["id"])
                    st.session_state.update(conversation_id=None, turns=[])
                    st.rerun()
    if st.sidebar.button("Sign out"):
        st.session_state.clear()
        st.rerun()
    return page


def _open(cid: str) -> None:
    detail = client().conversation(cid)
    turns = [{"question": m["question"], "result": m["result"]} for m in detail["messages"]]
    st.session_state.update(conversation_id=cid, turns=turns)
    st.rerun()


def show_sources(result: dict[str, Any], closest: bool = False) -> None:
    sources = result["closest_sources"] if closest else result["citations"]
    if not sources:
        return
    st.caption("Closest sources you can access:" if closest else "Sources:")
    badges = (plain(f"[{c['n']}] {c['title'][:40]}") for c in sources)
    st.markdown(" ".join(f":blue-badge[{badge}]" for badge in badges))
    for c in sources:
        with st.expander(source_label(c)):
            st.caption(f"Path: {plain(c['path'])}")
            backed = [s["text"] for s in result.get("sentences") or [] if c["n"] in s["cited"]]
            if backed and not closest:
                st.markdown("**Supports:** " + " ".join(safe_markdown(t) for t in backed))
            st.markdown("**From the document:** " + safe_markdown(c["snippet"], ALLOWED_HOSTS))
            key = f"src-{result.get('trace_id', '')}-{int(closest)}-{c['n']}"
            if st.button("Open the cited section", key=key) or key in st.session_state.get(
                "previews", {}
            ):
                show_preview(key, c, backed)


def show_preview(key: str, citation: dict[str, Any], backed: list[str]) -> None:
    """The cited section, fetched once, with the supporting sentence highlighted."""
    previews = st.session_state.setdefault("previews", {})
    if key not in previews:
        try:
            previews[key] = client().document(citation["doc_id"], citation.get("section"))
        except ApiProblem as exc:
            st.error(exc.message)
            return
    for section in previews[key]["sections"]:
        st.markdown(f"**{plain(section['section'] or citation['title'])}**")
        passages = [*backed, citation["snippet"]]
        st.markdown(highlighted(section["text"], passages, ALLOWED_HOSTS))


def show_result(result: dict[str, Any]) -> None:
    if result["abstained"]:
        st.warning(
            "**Not found in your documents.** " + result["answer"], icon=":material/search_off:"
        )
        show_sources(result, closest=True)
    else:
        st.markdown(marked_answer(result, ALLOWED_HOSTS))
        if result.get("degraded"):
            st.caption(
                "The language model is unavailable right now: this answer is quoted directly "
                "from the sources."
            )
        elif result.get("answer_source") == "extractive":
            st.caption("Quoted directly from the sources.")
        show_sources(result)
    with st.expander("Details"):
        st.markdown(f"**Question as understood:** {safe_markdown(result['standalone_question'])}")
        entities = ", ".join(plain(f"{e['canonical']} ({e['label']})") for e in result["entities"])
        st.markdown(f"**Linked entities:** {entities or 'none'}")
        st.markdown(
            f"**Prompt version:** {result['prompt_version']} · **Model:** "
            f"{result['generator']} · **Answer from:** {result['answer_source']}"
        )
        st.markdown(f"**Tokens:** {result['tokens_in']} in, {result['tokens_out']} out")
        st.table(
            {
                "stage": list(result["timings_ms"]),
                "ms": [round(v) for v in result["timings_ms"].values()],
            }
        )
    feedback(result)


def feedback(result: dict[str, Any]) -> None:
    trace = result["trace_id"]
    sent = st.session_state.setdefault("feedback_sent", {})
    rating = st.feedback("thumbs", key=f"fb-{trace}")
    if rating is None or trace in sent:
        if trace in sent:
            st.caption("Thanks for the feedback.")
        return
    comment = st.text_input("Anything to add? (optional)", key=f"fbc-{trace}")
    if st.button("Send feedback", key=f"fbs-{trace}"):
        try:
            client().feedback(trace, "up" if rating == 1 else "down", comment)
            sent[trace] = True
            st.rerun()
        except ApiProblem as exc:
            st.error(exc.message)


def chat() -> None:
    st.title("Ask Docent")
    for turn in st.session_state["turns"]:
        with st.chat_message("user"):
            st.markdown(safe_markdown(turn["question"]))
        with st.chat_message("assistant"):
            show_result(turn["result"])
    question = st.chat_input("Ask about your company's policies and how-tos")
    if not question:
        return
    with st.chat_message("user"):
        st.markdown(safe_markdown(question))
    with st.chat_message("assistant"):
        final: dict[str, Any] | None = None
        try:
            events = client().ask_stream(question, st.session_state.get("conversation_id"))

            def tokens() -> Any:
                nonlocal final
                for event in events:
                    if event.kind == "token":
                        yield event.data["text"]
                    elif event.kind == "result":
                        final = event.data
                    elif event.kind == "error":
                        raise ApiProblem(event.data["error"]["message"])

            # raw model text as it arrives, shown as plain text: it is not sanitized yet
            # (the final, checked answer replaces it)
            with st.spinner("Searching your documents..."):
                box = st.empty()
                streamed = ""
                for token in tokens():
                    streamed += token
                    box.markdown(plain(streamed))
        except ApiProblem as exc:
            st.error(exc.message)
            return
    if final is not None:
        st.session_state["conversation_id"] = final["conversation_id"]
        st.session_state["turns"].append({"question": question, "result": final})
        st.rerun()


def admin() -> None:
    st.title("Admin")
    try:
        data = client().admin_overview()
    except ApiProblem as exc:
        st.error(exc.message)
        return
    docs = data["documents"]
    st.metric("Documents indexed", len(docs))
    st.subheader("Documents")
    st.dataframe(
        [{k: d[k] for k in ("path", "title", "chunks", "complete")} for d in docs],
        use_container_width=True,
    )
    st.subheader("Recent loads")
    st.dataframe(
        [
            {
                "at": r["at"],
                "by": r["user"],
                **{k: r["summary"].get(k) for k in ("added", "updated", "unchanged", "deleted")},
                "failed": len(r["summary"].get("failed", [])),
            }
            for r in data["ingest_runs"]
        ]
    )
    answers = data["answers"]
    if answers:
        import pandas as pd

        frame = pd.DataFrame(answers)
        frame["day"] = pd.to_datetime(frame["at"]).dt.date
        st.subheader("Answers and abstentions per day")
        st.bar_chart(frame.groupby("day")["abstained"].agg(answers="count", abstentions="sum"))
        st.subheader("Latency per stage over time (ms)")
        stages = pd.DataFrame([a["timings_ms"] for a in answers], index=pd.to_datetime(frame["at"]))
        st.line_chart(stages.drop(columns=["total"], errors="ignore").sort_index())
    if data["feedback"]:
        import pandas as pd

        st.subheader("Feedback by prompt version")
        fb = pd.DataFrame(data["feedback"]).pivot_table(
            index="prompt_version", columns="rating", values="count", fill_value=0
        )
        st.bar_chart(fb)
    else:
        st.caption("No feedback yet.")
    quality_section()
    drift_section()
    corrections_section()


def _interval(estimate: dict[str, Any], percent: bool = True) -> str:
    if estimate["value"] is None:
        return "-"
    if estimate["low"] is None:
        return f"{estimate['value']:.0f}"
    if percent:
        return f"{estimate['value']:.0%} ({estimate['low']:.0%}-{estimate['high']:.0%})"
    return f"{estimate['value']:.0f} ({estimate['low']:.0f}-{estimate['high']:.0f})"


def ab_section(days: int) -> None:
    """Prompt versions side by side, each figure with its 95% interval, and the up-rate
    tested against the configured version (GET /v1/admin/ab)."""
    try:
        report = client().admin_ab(days)
    except ApiProblem as exc:
        st.error(exc.message)
        return
    st.subheader(f"Prompt versions (against {report['baseline']}; 95% intervals)")
    rows = []
    for arm in report["arms"]:
        test = arm["versus_baseline"]
        rows.append(
            {
                "version": arm["prompt_version"],
                "answers": arm["answers"],
                "abstained": _interval(arm["abstained"]),
                "quoted": _interval(arm["quoted"]),
                "unsupported sentences": _interval(arm["unsupported"]),
                "up-rate": _interval(arm["up_rate"]),
                "up-rate vs baseline": "-"
                if test is None
                else f"{test['difference']:+.0%}, p={test['p_value']:.3f}",
                "latency ms": _interval(arm["latency_ms"], percent=False),
            }
        )
    st.dataframe(rows, use_container_width=True)


def corrections_section() -> None:
    """Down-voted answers with what the user said, what was retrieved and the prompt
    version; an editor writes the right answer, which joins the eval set and the
    fine-tuning export."""
    st.subheader("Down-voted answers")
    try:
        answers, withheld = client().down_voted()
    except ApiProblem as exc:
        st.error(exc.message)
        return
    if withheld:
        st.caption(f"{withheld} more drew on documents you may not read, and are not shown.")
    if not answers:
        st.caption("No down-voted answers you may read.")
        return
    # what users typed (question, comment) renders as text, never as markdown: a comment
    # could otherwise plant an image or a link on the admin's page
    for item in answers[:50]:
        with st.expander(plain(f"{item['question'][:90]} ({item['prompt_version']})")):
            st.markdown(f"**Answer given:** {safe_markdown(item['answer'])}")
            if item["comment"]:
                st.markdown(f"**The user said:** {plain(item['comment'])}")
            st.caption(plain("Retrieved: " + ", ".join(r["path"] for r in item["retrieved"])))
            text = st.text_area(
                "The right answer (with [n] citations)",
                value=item["correction"] or "",
                key=f"fix-{item['trace_id']}",
            )
            if st.button("Save the correction", key=f"save-{item['trace_id']}") and text.strip():
                try:
                    client().correct(item["trace_id"], text.strip())
                    st.success("Saved: it joins the eval set and the fine-tuning data.")
                except ApiProblem as exc:
                    st.error(exc.message)


def quality_section() -> None:
    """The live quality signals over time, per prompt version, and usage and cost per user
    and group (GET /v1/admin/quality)."""
    st.subheader("Answer quality over time")
    days = st.select_slider("Days", options=[1, 7, 14, 30, 90], value=14)
    try:
        report = client().admin_quality(days)
    except ApiProblem as exc:
        st.error(exc.message)
        return
    if not report["by_day"]:
        st.caption("No answers in this window.")
        return
    import pandas as pd

    frame = pd.DataFrame(report["by_day"])
    for column, title in (
        ("unsupported_share", "Share of model sentences unsupported"),
        ("quoted_share", "Share of answers that fell back to quotes"),
        ("abstained_share", "Share of answers abstained"),
        ("dropped_per_answer", "Citations dropped per answer"),
        ("up_rate", "Feedback up-rate"),
        ("cost", "Cost"),
    ):
        st.caption(title)
        st.line_chart(frame.pivot_table(index="day", columns="prompt_version", values=column))
    ab_section(days)
    st.subheader("Usage by user")
    columns = ["name", "answers", "tokens_in", "tokens_out", "cost", "up", "down"]
    st.dataframe(pd.DataFrame(report["by_user"])[columns], use_container_width=True)
    st.subheader("Usage by group")
    st.dataframe(pd.DataFrame(report["by_group"])[columns], use_container_width=True)


def drift_section() -> None:
    """Question drift in the process that serves this page (GET /v1/admin/drift), and a
    button that keeps the current window as the reference after a deliberate change."""
    st.subheader("Question drift")
    try:
        drift = client().drift()
    except ApiProblem as exc:
        st.error(exc.message)
        return
    left, middle, right = st.columns(3)
    left.metric("Centroid distance", f"{drift['distance']:.3f}")
    middle.metric("Questions the corpus does not cover", f"{drift['uncovered_share']:.0%}")
    right.metric("Window", f"{drift['seen']} of {drift['window']}")
    if not drift["has_reference"]:
        st.caption("No reference yet: the first full window becomes it.")
    if st.button("Keep the current window as the reference"):
        try:
            client().keep_drift_reference()
            st.success("Kept: the distance is measured from this window now.")
        except ApiProblem as exc:
            st.error(exc.message)


def keys_page() -> None:
    """Personal API keys for tools: made here, shown once, revoked here."""
    me = st.session_state["me"]
    st.title("API keys for tools")
    st.caption(
        "A key lets a tool (an OpenAI client, a llama-index app, a script) ask Docent as you, "
        "with the groups you give it. Revoked keys stop at the next request."
    )
    made = st.session_state.pop("new_key", None)
    if made:
        st.success("Copy this key now: Docent keeps only its hash and cannot show it again.")
        st.code(made["key"], language=None)
    with st.form("new-key", clear_on_submit=True):
        name = st.text_input("What is it for?", max_chars=100)
        days = st.number_input("Expires after (days)", min_value=1, max_value=365, value=90)
        groups = st.multiselect("Groups", me["groups"], default=me["groups"])
        if st.form_submit_button("Create key"):
            if not name.strip():
                st.error("Name the key after the tool that will use it.")
            else:
                st.session_state["new_key"] = client().create_key(name, int(days), groups)
                st.rerun()
    keys = client().keys()
    if not keys:
        st.caption("No keys yet.")
    for k in keys:
        left, right = st.columns([5, 1])
        used = (k["last_used_at"] or "never")[:16].replace("T", " ")
        left.markdown(
            f"**{plain(k['name'])}** · groups: {plain(', '.join(k['groups']))} · "
            f"expires {k['expires_at'][:10]} · last used {plain(used)}"
        )
        if right.button("Revoke", key=f"revoke-{k['id']}"):
            client().revoke_key(k["id"])
            st.rerun()


def main() -> None:
    st.set_page_config(page_title="Docent", page_icon=":material/menu_book:", layout="wide")
    try:
        if "key" not in st.session_state:
            sign_in()
            return
        page = sidebar()
        if page == "Admin":
            admin()
        elif page == "Keys":
            keys_page()
        else:
            chat()
    except ApiProblem as exc:
        st.error(exc.message)
    except Exception:  # never show a traceback to an employee
        st.error("Something went wrong in the chat page. Reload the page and try again.")


watch_parent_from_env()  # started by app.serve: the UI server exits with it
main()
