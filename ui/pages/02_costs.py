"""Costs: chargeback by cost centre for a month (with a bar chart) and budget against actual."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from ui import client
from ui.format import chart_number, money

st.set_page_config(page_title="Callmeter costs", page_icon=":material/payments:", layout="wide")
st.title("Costs")


def _months(budget: pd.DataFrame) -> list[str]:
    """Months that have budget lines, plus this one, newest first."""
    months = {datetime.now(UTC).strftime("%Y-%m")}
    if not budget.empty:
        months |= {str(m)[:7] for m in budget["month"]}
    return sorted(months, reverse=True)


try:
    all_budget = client.budget()
except client.ApiError as error:
    st.warning(f"Budget unavailable: {error}")
    all_budget = pd.DataFrame()

month = st.selectbox("Month", _months(all_budget), key="month")
typed = st.text_input("…or another month (YYYY-MM)", key="typed_month").strip()
month = typed or month

st.subheader(f"Chargeback by cost centre, {month}")
try:
    costs = client.monthly_costs(month)
except client.ApiError as error:
    st.warning(str(error))
    costs = pd.DataFrame()
if costs.empty:
    st.info(f"No costs for {month}.")
else:
    table = pd.DataFrame(
        {
            "Tenant": costs["tenant_id"],
            "Cost centre": costs["cost_centre"],
            "Legs": costs["legs"],
            "Cost": costs["cost"].map(money),
            "Currency": costs["currency"],
        }
    )
    st.table(table, hide_index=True)
    chart = pd.DataFrame(
        {
            "cost centre": costs["tenant_id"] + " / " + costs["cost_centre"],
            "cost": costs["cost"].map(chart_number),
        }
    )
    st.bar_chart(chart, x="cost centre", y="cost", horizontal=True)

st.subheader(f"Budget against actual, {month}")
try:
    lines = client.budget(month=month)
except client.ApiError as error:
    st.warning(str(error))
    lines = pd.DataFrame()
if lines.empty:
    st.info(f"No budget lines for {month}.")
else:
    holder = lines["cost_centre"].fillna(lines["department"])
    st.table(
        pd.DataFrame(
            {
                "Tenant": lines["tenant_id"],
                "Level": lines["budget_level"].str.replace("_", " "),
                "Holder": holder,
                "Budget": lines["budget"].map(money),
                "Month to date": lines["mtd_cost"].map(money),
                "Projected": lines["projected_month_end_cost"].map(money),
                "Same month last year": lines["same_month_last_year_cost"].map(money),
                "Currency": lines["currency"],
                "Status": lines["month_status"],
            }
        ),
        hide_index=True,
    )
