"""The Revenue screen's chart as a PNG (sent with sendPhoto): net revenue a day as bars and the
occupancy rate a day as a line, one panel per currency (amounts of two currencies are never
drawn on one axis). matplotlib with its Agg backend and a Figure of our own, not pyplot: no
display, no global state, so two charts drawn at once in two threads do not mix.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from core.money import currency_exponent
from core.usecases.revenue import Revenue

WIDTH_IN, PANEL_HEIGHT_IN, DPI = 9.0, 4.0, 110


@dataclass(frozen=True, slots=True)
class ChartTexts:
    """The chart's words, in the reader's language (plain text: no HTML)."""

    title: str
    revenue_axis: str  # "{currency}" is replaced by each panel's currency
    occupancy_axis: str
    revenue_legend: str
    occupancy_legend: str
    weekdays: tuple[str, ...]  # Mon…Sun
    months: tuple[str, ...]  # Jan…Dec


def revenue_png(report: Revenue, texts: ChartTexts) -> bytes:
    """Renders the report's days; CPU-bound (about 0.1-0.3 s): call it off the event loop."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

    currencies = [c.currency for c in report.currencies] or [""]
    figure = Figure(
        figsize=(WIDTH_IN, 1.0 + PANEL_HEIGHT_IN * len(currencies)), dpi=DPI, layout="constrained"
    )
    figure.suptitle(texts.title, fontsize=13)
    positions = list(range(len(report.days)))
    many = len(report.days) > 14
    labels = []
    for n, day in enumerate(d.day for d in report.days):
        month = texts.months[day.month - 1]
        if not many:
            labels.append(f"{texts.weekdays[day.weekday()]}\n{day.day} {month}")
        else:  # day numbers; the month where one starts
            labels.append(f"{day.day}\n{month}" if n == 0 or day.day == 1 else f"{day.day}")
    occupancy = [(d.occupancy * 100) if d.occupancy is not None else float("nan") for d in report.days]
    axes = figure.subplots(len(currencies), 1, sharex=True, squeeze=False)
    for row, currency in enumerate(currencies):
        bars_axis = axes[row][0]
        scale = 10 ** currency_exponent(currency) if currency else 1
        values = [d.net(currency) / scale for d in report.days] if currency else [0.0] * len(report.days)
        colours = ["#2e7d32" if v >= 0 else "#c62828" for v in values]
        bars = bars_axis.bar(
            positions, values, color=colours, width=0.7, label=texts.revenue_legend, zorder=2
        )
        bars_axis.axhline(0, color="#555555", linewidth=0.8, zorder=3)
        bars_axis.set_ylabel(texts.revenue_axis.replace("{currency}", currency).strip(" ,"))
        # Whole amounts when the steps are whole, else the currency's decimals: "1.50", never a
        # rounded "2" under a tick at 1.5.
        bars_axis.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        decimals = currency_exponent(currency) if currency else 0
        bars_axis.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _pos, d=decimals: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.{d}f}")
        )
        bars_axis.grid(axis="y", color="#dddddd", zorder=0)
        line_axis = bars_axis.twinx()
        (line,) = line_axis.plot(
            positions,
            occupancy,
            color="#1565c0",
            marker="o",
            markersize=3,
            linewidth=2,
            label=texts.occupancy_legend,
        )
        # Up to the busiest day (at least 10%, at most 100%): a quiet car park's line still shows.
        busiest = max([0.0, *(v for v in occupancy if v == v)])  # NaN: closed all day
        line_axis.set_ylim(0, min(100.0, max(10.0, busiest * 1.25)) if busiest <= 100 else busiest * 1.1)
        line_axis.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        line_axis.set_ylabel(texts.occupancy_axis)
        # Above the plot, right: never over a bar.
        bars_axis.legend(
            handles=[bars, line],
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=2,
            fontsize=9,
            frameon=False,
        )
    bottom = axes[-1][0]
    bottom.set_xticks(positions)
    bottom.set_xticklabels(labels, fontsize=8 if many else 9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
