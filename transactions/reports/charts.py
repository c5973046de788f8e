"""The dashboard's charts as inline SVG, drawn on the server (no JavaScript, no CDN).

Three charts over the last days of the daily report: claims per day by status (stacked bars),
the TO_REVIEW queue at the end of each day (bars), and the time from claim to final status
(median and 90th percentile, lines). Colours are SVG presentation attributes (not `style`), so
the Content-Security-Policy needs nothing extra. Every bar and point has a <title> (the
browser's tooltip) and each chart an aria-label; all text is escaped.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from transactions.models import Status, status_label
from transactions.reports.daily import DayReport

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 44
STATUS_COLOURS = {
    Status.COMPLETED: "#2e7d32",
    Status.CANCELED: "#9e9e9e",
    Status.TO_REVIEW: "#ef6c00",
    Status.UNKNOWN: "#6a1b9a",
    Status.IN_PROGRESS: "#1565c0",
}
STACK_ORDER = (Status.COMPLETED, Status.CANCELED, Status.TO_REVIEW, Status.UNKNOWN, Status.IN_PROGRESS)
MEDIAN_COLOUR, P90_COLOUR, QUEUE_COLOUR = "#1565c0", "#c62828", "#ef6c00"


def _nice_max(value: float) -> float:
    """A round axis maximum >= value (1, 2, 5 × 10^k)."""
    if value <= 0:
        return 1
    step = 1
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step


def _plot():
    return WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _x_labels(days: list[DayReport]) -> SafeString:
    width, height = _plot()
    slot = width / max(len(days), 1)
    every = max(1, len(days) // 6)
    return format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#444">{}</text>',
        (
            (_n(LEFT + slot * (i + 0.5)), TOP + height + 14, r.day.strftime("%d/%m"))
            for i, r in enumerate(days)
            if (len(days) - 1 - i) % every == 0
        ),
    )


def _y_axis(top_value: float, unit: str = "") -> SafeString:
    width, height = _plot()
    rows = []
    steps = 5 if float(top_value) % 5 == 0 else 4  # 0-10 by 2, 0-20 by 4, 0-2 by 0.5
    for k in range(steps + 1):
        y = TOP + height - height * k / steps
        value = _fmt(top_value * k / steps) + unit
        rows.append((LEFT, LEFT + width, f"{y:.1f}", f"{y:.1f}", LEFT - 4, f"{y + 3:.1f}", value))
    return format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd" stroke-width="1"/>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#444">{}</text>',
        rows,
    )


def _n(value: float) -> str:
    """A coordinate (format_html escapes its arguments to text first, so numbers come formatted)."""
    return f"{value:.1f}"


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() or value >= 10 else f"{value:.1f}"


def _svg(chart_id: str, label: str, body: SafeString, legend: SafeString | str = "") -> SafeString:
    return format_html(
        '<svg id="{}" class="am-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}</svg>',
        chart_id,
        label,
        WIDTH,
        HEIGHT,
        label,
        body,
        legend,
    )


def _legend(items: list[tuple[str, str]]) -> SafeString:
    x = LEFT
    parts = []
    for colour, text in items:
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="{}" font-size="10" fill="#222">{}</text>',
                x,
                HEIGHT - 14,
                colour,
                x + 14,
                HEIGHT - 5,
                text,
            )
        )
        x += 22 + 6 * len(text)
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - parts built with format_html


def claims_by_status_chart(days: list[DayReport]) -> SafeString:
    width, height = _plot()
    top = _nice_max(max((r.created for r in days), default=0))
    slot = width / max(len(days), 1)
    bars = []
    for i, report in enumerate(days):
        y = TOP + height
        for status in STACK_ORDER:
            n = report.count(status)
            if not n:
                continue
            h = height * n / top
            y -= h
            bars.append(
                format_html(
                    '<rect class="bar" data-day="{}" data-status="{}" data-count="{}" x="{}" y="{}" '
                    'width="{}" height="{}" fill="{}"><title>{} — {}: {}</title></rect>',
                    report.day.isoformat(),
                    status.value,
                    n,
                    _n(LEFT + slot * i + slot * 0.15),
                    _n(y),
                    _n(slot * 0.7),
                    _n(h),
                    STATUS_COLOURS[status],
                    report.day.isoformat(),
                    status_label(status),
                    n,
                )
            )
    body = mark_safe(str(_y_axis(top)) + "".join(str(b) for b in bars) + str(_x_labels(days)))  # noqa: S308
    legend = _legend([(STATUS_COLOURS[s], status_label(s)) for s in STACK_ORDER])
    return _svg(
        "chart-claims", gettext("Claims per day by status (status at the end of the day)"), body, legend
    )


def queue_chart(days: list[DayReport]) -> SafeString:
    width, height = _plot()
    top = _nice_max(max((r.queue_end for r in days), default=0))
    slot = width / max(len(days), 1)
    bars = format_html_join(
        "",
        '<rect class="bar" data-day="{}" data-count="{}" x="{}" y="{}" width="{}" '
        'height="{}" fill="{}"><title>{}: {}</title></rect>',
        (
            (
                r.day.isoformat(),
                r.queue_end,
                _n(LEFT + slot * i + slot * 0.15),
                _n(TOP + height - height * r.queue_end / top),
                _n(slot * 0.7),
                _n(height * r.queue_end / top),
                QUEUE_COLOUR,
                r.day.isoformat(),
                r.queue_end,
            )
            for i, r in enumerate(days)
        ),
    )
    body = mark_safe(str(_y_axis(top)) + str(bars) + str(_x_labels(days)))  # noqa: S308
    legend = _legend([(QUEUE_COLOUR, gettext("In review at the end of the day"))])
    return _svg("chart-queue", gettext("Review queue (TO_REVIEW) at the end of each day"), body, legend)


def _line(days: list[DayReport], values: list[float | None], top: float, colour: str, series: str) -> str:
    width, height = _plot()
    slot = width / max(len(days), 1)
    points = [
        (LEFT + slot * (i + 0.5), TOP + height - height * v / top, days[i].day, v)
        for i, v in enumerate(values)
        if v is not None
    ]
    if not points:
        return ""
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
    dots = format_html_join(
        "",
        '<circle class="point" data-series="{}" data-day="{}" cx="{}" cy="{}" r="3" fill="{}">'
        "<title>{}: {} h</title></circle>",
        ((series, d.isoformat(), _n(x), _n(y), colour, d.isoformat(), _fmt(v)) for x, y, d, v in points),
    )
    line = format_html('<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>', path, colour)
    return str(line) + str(dots)


def time_to_decision_chart(days: list[DayReport]) -> SafeString:
    median = [None if r.median_seconds is None else r.median_seconds / 3600 for r in days]
    p90 = [None if r.p90_seconds is None else r.p90_seconds / 3600 for r in days]
    top = _nice_max(max([v for v in median + p90 if v is not None], default=0))
    body = mark_safe(  # noqa: S308 - parts built with format_html
        str(_y_axis(top, " h"))
        + _line(days, p90, top, P90_COLOUR, "p90")
        + _line(days, median, top, MEDIAN_COLOUR, "median")
        + str(_x_labels(days))
    )
    legend = _legend([(MEDIAN_COLOUR, gettext("median")), (P90_COLOUR, gettext("90th percentile"))])
    return _svg("chart-time", gettext("Time from claim to final status (hours)"), body, legend)


def dashboard_charts(days: list[DayReport]) -> list[SafeString]:
    return [claims_by_status_chart(days), queue_chart(days), time_to_decision_chart(days)]
