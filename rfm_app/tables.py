"""Column labels and number formats for customer tables shown with st.dataframe."""

from __future__ import annotations

from typing import Any

import streamlit as st


def money_format(currency: str) -> str:
    """printf-style format for amounts: ``'$%,.2f'``."""
    return f"{currency}%,.2f"


def customer_columns(currency: str) -> dict[str, Any]:
    """Readable headers for the customer summary's columns (others keep their names)."""
    money = money_format(currency)
    number = st.column_config.NumberColumn
    return {
        "customer_id": st.column_config.TextColumn("Customer", pinned=True),
        "segment": st.column_config.TextColumn("Segment"),
        "activity": st.column_config.TextColumn("Activity"),
        "rfm_score": st.column_config.TextColumn("RFM score"),
        "first_purchase": st.column_config.DatetimeColumn("First purchase", format="YYYY-MM-DD"),
        "last_purchase": st.column_config.DatetimeColumn("Last purchase", format="YYYY-MM-DD"),
        "recency_days": number("Days since last order", format="localized"),
        "tenure_days": number("Days since first order", format="localized"),
        "frequency": number("Orders", format="localized"),
        "purchase_days": number("Purchase days", format="localized"),
        "monetary": number("Net spend", format=money),
        "avg_order_value": number("Avg order value", format=money),
        "avg_repeat_value": number("Avg repeat value", format=money),
        "quantity": number("Units", format="localized"),
        "returns": number("Return lines", format="localized"),
        "r_score": number("R"),
        "f_score": number("F"),
        "m_score": number("M"),
        "fm_score": number("FM"),
    }
