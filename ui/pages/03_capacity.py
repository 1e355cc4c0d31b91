"""Capacity: the busy hour of every trunk with Erlang-B blocking and channels needed, and the
hourly load of one trunk."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import client
from ui.format import chart_number, local_time

st.set_page_config(
    page_title="Callmeter capacity", page_icon=":material/monitoring:", layout="wide"
)
st.title("Capacity")

try:
    trunks = client.trunk_busy_hours()
except client.ApiError as error:
    st.warning(f"Trunk busy hours unavailable: {error}")
    st.stop()

if trunks.empty:
    st.info("No trunk traffic in the marts yet.")
    st.stop()

st.subheader("Busy hour per trunk")
st.table(
    pd.DataFrame(
        {
            "Site": trunks["site_id"],
            "Trunk": trunks["trunk"],
            "Channels": trunks["channels"].astype("Int64"),
            "Busy hour": trunks["busy_hour_of_day"].map(
                lambda h: "" if pd.isna(h) else f"{int(h):02d}:00"
            ),
            "Busy-hour erlangs": trunks["busy_hour_erlangs"],
            "Channels needed": trunks["busy_hour_channels_needed"].astype("Int64"),
            "Blocking": trunks["busy_hour_blocking"].map(
                lambda b: "" if pd.isna(b) else f"{b:.2%}"
            ),
            "Busiest hour": trunks["busiest_hour_at"].map(local_time),
            "Peak concurrent": trunks["peak_concurrent_legs"].astype("Int64"),
        }
    ),
    hide_index=True,
)

labels = (trunks["tenant_id"] + " / " + trunks["site_id"] + " / " + trunks["trunk"]).tolist()
choice = st.selectbox("Hourly load of", labels, key="trunk")
row = trunks.iloc[labels.index(choice)]
try:
    hourly = client.trunk_hourly(row["trunk"], row["tenant_id"], row["site_id"])
except client.ApiError as error:
    st.warning(str(error))
else:
    chart = pd.DataFrame(
        {
            "hour (UTC)": pd.to_datetime(hourly["hour_at"]),
            "offered erlangs": hourly["offered_erlangs"].map(chart_number),
            "peak concurrent legs": hourly["peak_concurrent_legs"],
        }
    )
    st.line_chart(chart, x="hour (UTC)", y=["offered erlangs", "peak concurrent legs"])
