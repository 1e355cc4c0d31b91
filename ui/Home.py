"""Callmeter board: the landing page. `callmeter board` runs
`streamlit run ui/Home.py --server.headless true`; every number comes from the API."""

from __future__ import annotations

import streamlit as st

from ui import client

st.set_page_config(page_title="Callmeter", page_icon=":material/call:", layout="wide")
st.title("Callmeter")
st.caption(f"API: {client.api_url()}")

try:
    health = client.health()
except client.ApiError as error:
    st.warning(f"The API is not answering: {error}")
    st.stop()

if health["status"] == "ok":
    st.success("API, marts and live state are available.")
else:
    for problem in health["problems"]:
        st.warning(problem)

now, alerts = st.columns(2)
try:
    calls = client.live_calls()
    now.metric("Calls in progress", len(calls))
    alerts.metric("Recent alerts", len(client.live_alerts()))
except client.ApiError as error:
    st.info(f"Live state unavailable: {error}")

st.page_link("pages/01_live_calls.py", label="Live wallboard", icon=":material/tv:")
st.page_link("pages/02_costs.py", label="Costs: chargeback and budget", icon=":material/payments:")
st.page_link(
    "pages/03_capacity.py", label="Capacity: trunk busy hours", icon=":material/monitoring:"
)
