"""Hand-written SVG plots (no plotting dependency): score histogram, difficulty vs discrimination, option curves."""

from __future__ import annotations

import math
from html import escape

PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _frame(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>' + "".join(body) + "</svg>"
    )


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    ticks, t = [], start
    while t <= hi + 1e-9:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) >= 1 or v == 0 else f"{v:.2f}".rstrip("0").rstrip(".")


class _Axes:
    """Maps data to pixels inside margins and draws the axes with ticks and labels."""

    def __init__(self, width: int, height: int, x_range: tuple[float, float], y_range: tuple[float, float]):
        self.w, self.h = width, height
        self.left, self.right, self.top, self.bottom = 52, 14, 28, 40
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range

    def x(self, v: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (v - self.x0) / span * (self.w - self.left - self.right)

    def y(self, v: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.h - self.bottom - (v - self.y0) / span * (self.h - self.top - self.bottom)

    def draw(self, title: str, x_label: str, y_label: str, x_ticks: list[float] | None = None) -> list[str]:
        out = [f'<text x="{self.w / 2:.1f}" y="16" text-anchor="middle" {FONT} font-size="13" '
               f'font-weight="600">{escape(title)}</text>']
        yb = self.h - self.bottom
        out.append(f'<line x1="{self.left}" y1="{yb}" x2="{self.w - self.right}" y2="{yb}" stroke="#333"/>')
        out.append(f'<line x1="{self.left}" y1="{self.top}" x2="{self.left}" y2="{yb}" stroke="#333"/>')
        for t in x_ticks if x_ticks is not None else _nice_ticks(self.x0, self.x1):
            px = self.x(t)
            out.append(f'<line x1="{px:.1f}" y1="{yb}" x2="{px:.1f}" y2="{yb + 4}" stroke="#333"/>')
            out.append(f'<text x="{px:.1f}" y="{yb + 15}" text-anchor="middle" {FONT}>{_fmt(t)}</text>')
        for t in _nice_ticks(self.y0, self.y1):
            py = self.y(t)
            out.append(f'<line x1="{self.left - 4}" y1="{py:.1f}" x2="{self.w - self.right}" y2="{py:.1f}" '
                       f'stroke="#e5e5e5"/>')
            out.append(f'<text x="{self.left - 6}" y="{py + 4:.1f}" text-anchor="end" {FONT}>{_fmt(t)}</text>')
        out.append(f'<text x="{(self.left + self.w - self.right) / 2:.1f}" y="{self.h - 6}" text-anchor="middle" '
                   f'{FONT}>{escape(x_label)}</text>')
        out.append(f'<text transform="translate(12 {(self.top + yb) / 2:.1f}) rotate(-90)" text-anchor="middle" '
                   f'{FONT}>{escape(y_label)}</text>')
        return out


def histogram_svg(bins: list[tuple[float, float, int]], title: str, x_label: str, y_label: str,
                  width: int = 520, height: int = 260, marks: tuple[tuple[float, str], ...] = ()) -> str:
    """Bars of the score distribution; each bar's tooltip gives its range and count; ``marks`` (value, label) are
    dashed vertical lines, e.g. a standard to reach."""
    if not bins:
        return _frame(width, height, title, [])
    top = max(c for _, _, c in bins) or 1
    ax = _Axes(width, height, (bins[0][0], bins[-1][1]), (0, top * 1.05))
    body = ax.draw(title, x_label, y_label)
    for lo, hi, c in bins:
        x0, x1 = ax.x(lo), ax.x(hi)
        y = ax.y(c)
        body.append(f'<rect x="{x0 + 0.5:.1f}" y="{y:.1f}" width="{max(x1 - x0 - 1, 0.5):.1f}" '
                    f'height="{ax.y(0) - y:.1f}" fill="#4c78a8"><title>{_fmt(lo)}–{_fmt(hi)}: {c}</title></rect>')
    for value, label in marks:
        px = ax.x(value)
        body.append(f'<line x1="{px:.1f}" y1="{ax.top}" x2="{px:.1f}" y2="{ax.y(0):.1f}" stroke="#b91c1c" '
                    f'stroke-width="2" stroke-dasharray="5 4"><title>{escape(label)}: {_fmt(value)}</title></line>')
        body.append(f'<text x="{px + 4:.1f}" y="{ax.top + 10}" {FONT} fill="#b91c1c">{escape(label)}</text>')
    return _frame(width, height, title, body)


def scatter_svg(points: list[tuple[float, float, str, bool]], title: str, x_label: str, y_label: str,
                guides_x: tuple[float, ...] = (0.2, 0.9), guides_y: tuple[float, ...] = (0.0, 0.2),
                width: int = 520, height: int = 360) -> str:
    """Items as dots (red when flagged), with dashed guide lines at the flag thresholds."""
    finite = [(x, y, lab, f) for x, y, lab, f in points if math.isfinite(x) and math.isfinite(y)]
    y_lo = min([-0.2] + [y for _, y, _, _ in finite])
    y_hi = max([0.8] + [y for _, y, _, _ in finite])
    ax = _Axes(width, height, (0.0, 1.0), (math.floor(y_lo * 10) / 10, math.ceil(y_hi * 10) / 10))
    body = ax.draw(title, x_label, y_label)
    for gx in guides_x:
        body.append(f'<line x1="{ax.x(gx):.1f}" y1="{ax.top}" x2="{ax.x(gx):.1f}" y2="{ax.y(ax.y0):.1f}" '
                    f'stroke="#999" stroke-dasharray="4 3"/>')
    for gy in guides_y:
        body.append(f'<line x1="{ax.left}" y1="{ax.y(gy):.1f}" x2="{ax.w - ax.right}" y2="{ax.y(gy):.1f}" '
                    f'stroke="#999" stroke-dasharray="4 3"/>')
    for x, y, lab, flagged in finite:
        colour = "#d62728" if flagged else "#4c78a8"
        body.append(f'<circle cx="{ax.x(x):.1f}" cy="{ax.y(y):.1f}" r="4.5" fill="{colour}" fill-opacity="0.8">'
                    f'<title>{escape(lab)}: {x:.2f}, {y:.2f}</title></circle>')
    return _frame(width, height, title, body)


def option_curves_svg(curves: list[tuple[str, list[float], bool]], title: str, x_labels: list[str], x_label: str,
                      y_label: str, width: int = 420, height: int = 250) -> str:
    """Share of each score group choosing each option; the key drawn thick. A good key rises, distractors fall.

    A curve named ``2PL`` (the model's probability of the key at each group's mean ability) is drawn dashed.
    """
    groups = len(x_labels)
    ax = _Axes(width, height, (0.5, groups + 0.5), (0.0, 1.0))
    ax.right = 70
    body = ax.draw(title, x_label, y_label, x_ticks=[])
    yb = ax.h - ax.bottom
    for g, lab in enumerate(x_labels, start=1):
        body.append(f'<text x="{ax.x(g):.1f}" y="{yb + 15}" text-anchor="middle" {FONT}>{escape(lab)}</text>')
    for i, (name, shares, key) in enumerate(curves):
        colour = "#222222" if name == "2PL" else PALETTE[i % len(PALETTE)]
        pts = [(ax.x(g), ax.y(s)) for g, s in enumerate(shares, start=1) if math.isfinite(s)]
        if not pts:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        sw = 3.2 if key else 1.6
        dash = ' stroke-dasharray="3 3"' if name in ("—", "2PL") else ""
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{sw}"{dash}>'
                    f'<title>{escape(name)}</title></polyline>')
        for x, y in pts:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
        lx, ly = pts[-1]
        label = f"{name} ✓" if key else name
        body.append(f'<text x="{lx + 8:.1f}" y="{ly + 4:.1f}" {FONT} fill="{colour}" '
                    f'font-weight="{700 if key else 400}">{escape(label)}</text>')
    return _frame(width, height, title, body)


def trend_svg(series: list[tuple[str, list[float | None], float | None]], title: str, x_labels: list[str],
              x_label: str, y_label: str, width: int = 560, height: int = 280) -> str:
    """Scores over time, one line per series (a competency), each with its standard as a dashed line of its colour;
    a missing score (absent) leaves a gap. Each point's tooltip gives the series, the time and the score."""
    values = [v for _n, vs, _s in series for v in vs if v is not None and math.isfinite(v)]
    values += [s for _n, _vs, s in series if s is not None]
    top = max(values + [1.0]) * 1.1
    ax = _Axes(width, height, (0.5, max(len(x_labels), 1) + 0.5), (0.0, top))
    ax.right = 110
    body = ax.draw(title, x_label, y_label, x_ticks=[])
    yb = ax.h - ax.bottom
    for g, lab in enumerate(x_labels, start=1):
        body.append(f'<text x="{ax.x(g):.1f}" y="{yb + 15}" text-anchor="middle" {FONT}>{escape(lab)}</text>')
    for i, (name, scores, standard) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        if standard is not None:
            body.append(f'<line x1="{ax.left}" y1="{ax.y(standard):.1f}" x2="{ax.w - ax.right}" '
                        f'y2="{ax.y(standard):.1f}" stroke="{colour}" stroke-dasharray="5 4">'
                        f'<title>{escape(name)}: {_fmt(standard)}</title></line>')
        pts = [(g, v) for g, v in enumerate(scores, start=1) if v is not None and math.isfinite(v)]
        if len(pts) > 1:
            path = " ".join(f"{ax.x(g):.1f},{ax.y(v):.1f}" for g, v in pts)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.4"/>')
        for g, v in pts:
            body.append(f'<circle cx="{ax.x(g):.1f}" cy="{ax.y(v):.1f}" r="3.5" fill="{colour}">'
                        f'<title>{escape(name)} · {escape(x_labels[g - 1])}: {_fmt(round(v, 2))}</title></circle>')
        body.append(f'<text x="{ax.w - ax.right + 8}" y="{ax.top + 14 * (i + 1)}" {FONT} fill="{colour}" '
                    f'font-weight="600">{escape(name)}</text>')
    return _frame(width, height, title, body)
