"""The live wallboard for a TV: calls in progress, extension status, trunk load against channels
and the latest alerts, refreshed every few seconds from the API's /live routes."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ui import client
from ui.format import clock, local_time

st.set_page_config(page_title="Callmeter live", page_icon=":material/tv:", layout="wide")


def _calls_table(calls: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Extension": calls["extension"].fillna(""),
            "Other party": calls["other_party"].fillna(""),
            "Direction": calls["direction"].fillna(""),
            "State": calls["state"],
            "Trunk": calls["trunk"].fillna(""),
            "For": calls["seconds_so_far"].map(clock),
            "Site": calls["site_id"],
        }
    )


def _show_calls() -> None:
    calls = client.live_calls()
    total, ringing, answered = st.columns(3)
    total.metric("Calls in progress", len(calls))
    states = calls["state"].value_counts() if not calls.empty else pd.Series(dtype=int)
    ringing.metric("Ringing", int(states.get("ringing", 0)))
    answered.metric("Talking", int(states.get("answered", 0)))
    if calls.empty:
        st.info("No calls in progress.")
    else:
        st.table(_calls_table(calls), hide_index=True)


def _show_extensions() -> None:
    extensions = client.live_extensions()
    st.subheader("Extensions")
    if extensions.empty:
        st.info("No extension seen yet.")
        return
    status = extensions["status"].value_counts()
    st.caption(
        f"{int(status.get('on_call', 0))} on a call · {int(status.get('ringing', 0))} ringing · "
        f"{int(status.get('idle', 0))} idle"
    )
    busy = extensions[extensions["status"] != "idle"]
    if not busy.empty:
        st.table(
            pd.DataFrame(
                {
                    "Extension": busy["extension"],
                    "Status": busy["status"].str.replace("_", " "),
                    "For": busy["seconds_in_status"].map(clock),
                }
            ),
            hide_index=True,
        )


def _show_trunks() -> None:
    trunks = client.live_trunks()
    st.subheader("Trunks")
    if trunks.empty:
        st.info("No trunk in use or configured.")
        return
    for row in trunks.itertuples():
        if pd.notna(row.channels) and row.channels:
            share = min(1.0, row.active / row.channels)
            st.progress(share, text=f"{row.trunk}: {row.active} of {int(row.channels)} channels")
        else:
            st.write(f"{row.trunk}: {row.active} active (channels not configured)")


def _show_alerts() -> None:
    alerts = client.live_alerts(limit=10)
    st.subheader("Alerts")
    if alerts.empty:
        st.success("No alerts.")
        return
    for row in alerts.itertuples():
        text = f"**{row.rule}** · {row.message or row.rule_type} · {local_time(row.detected_at)}"
        (st.error if row.severity in ("high", "critical") else st.warning)(text)


def _section(show: Callable[[], None]) -> None:
    try:
        show()
    except client.ApiError as error:
        st.warning(str(error))  # unattended: say what is wrong, keep the rest of the board up


@st.fragment(run_every=client.refresh_seconds())
def board() -> None:
    """Redrawn every few seconds without rerunning the page (no flicker on a TV)."""
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Calls in progress")
        _section(_show_calls)
        _section(_show_alerts)
    with right:
        _section(_show_trunks)
        _section(_show_extensions)


st.title("Live")
board()
