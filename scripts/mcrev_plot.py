#!/usr/bin/env python3
"""Plot the tidy rows of `mcrev sweep --format csv` (docs/sweeps.md "Plotting").

    mcrev_plot.py ROWS.csv --out FILE.png [--metric revenue] [--title TEXT]

Draws METRIC against the first swept key, one line per mechanism with its confidence band
(ci_low..ci_high); with a second swept key, one panel per value of it. Further swept keys must be
constant in ROWS (filter the CSV first). `mcrev sweep --plot FILE.png` calls this script.
Writes FILE atomically (a temporary file renamed over it).
"""
import argparse
import csv
import math
import os
import sys

FIXED = ["point", "mechanism", "metric", "mean", "stderr", "ci_low", "ci_high", "profiles", "target_met"]


def as_number(text):
    try:
        return float(text)
    except ValueError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rows", help="CSV written by mcrev sweep --format csv")
    ap.add_argument("--out", required=True, help="PNG (or any format matplotlib knows by extension)")
    ap.add_argument("--metric", default="revenue")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(args.rows, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit("mcrev_plot: no rows in " + args.rows)
    keys = [k for k in rows[0].keys() if k not in FIXED]
    if not keys:
        sys.exit("mcrev_plot: no swept key columns in " + args.rows)
    rows = [r for r in rows if r["metric"] == args.metric]
    if not rows:
        sys.exit("mcrev_plot: no rows of metric '%s'" % args.metric)
    x_key = keys[0]
    panel_key = keys[1] if len(keys) > 1 else None
    for k in keys[2:]:
        if len({r[k] for r in rows}) > 1:
            sys.exit("mcrev_plot: %d swept keys; only two can be drawn (filter the rows on '%s')" % (len(keys), k))

    def ordered(values):
        values = list(dict.fromkeys(values))
        if all(as_number(v) is not None for v in values):
            return sorted(values, key=float)
        return values

    panels = ordered(r[panel_key] for r in rows) if panel_key else [None]
    mechanisms = list(dict.fromkeys(r["mechanism"] for r in rows))
    numeric_x = all(as_number(r[x_key]) is not None for r in rows)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels) + 1.0, 4.2), squeeze=False, sharey=False)
    level = None
    for ax, panel in zip(axes[0], panels):
        sub = [r for r in rows if panel_key is None or r[panel_key] == panel]
        xs_all = ordered(r[x_key] for r in sub)
        for i, mech in enumerate(mechanisms):
            pts = {r[x_key]: r for r in sub if r["mechanism"] == mech}
            xs = [x for x in xs_all if x in pts]
            if not xs:
                continue
            xv = [float(x) for x in xs] if numeric_x else list(range(len(xs)))
            mean = [as_number(pts[x]["mean"]) for x in xs]
            lo = [as_number(pts[x]["ci_low"]) for x in xs]
            hi = [as_number(pts[x]["ci_high"]) for x in xs]
            color = "C%d" % (i % 10)
            ax.plot(xv, mean, marker="o" if len(xv) <= 12 else None, ms=3, lw=1.5, color=color, label=mech)
            ax.fill_between(xv, lo, hi, color=color, alpha=0.25, lw=0)
            if not numeric_x:
                ax.set_xticks(xv)
                ax.set_xticklabels(xs, rotation=30)
        ax.set_xlabel(x_key)
        ax.set_ylabel(args.metric)
        if panel_key:
            ax.set_title("%s = %s" % (panel_key, panel))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if level is None:
        level = "confidence"
    fig.suptitle(args.title or "%s vs %s (bands: %s intervals)" % (args.metric, x_key, level), fontsize=11)
    fig.tight_layout()
    root, ext = os.path.splitext(args.out)
    tmp = root + ".mcrev-tmp" + (ext or ".png")
    fig.savefig(tmp, dpi=120)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
