#!/usr/bin/env python3
"""Plot the tidy rows of `mcrev sweep --format csv` (docs/sweeps.md "Plotting").

    mcrev_plot.py ROWS.csv --out FILE.png [--metric revenue] [--title TEXT]

Draws METRIC (or each of a comma list, one row of panels per metric) against the first swept key,
one line per mechanism with its confidence band (ci_low..ci_high); with a second swept key, one
panel per value of it. Further swept keys must be
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
    ap.add_argument("--metric", default="revenue", help="metric, or a comma list (one row of panels each)")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(args.rows, newline="") as f:
        all_rows = list(csv.DictReader(f))
    if not all_rows:
        sys.exit("mcrev_plot: no rows in " + args.rows)
    keys = [k for k in all_rows[0].keys() if k not in FIXED]
    if not keys:
        sys.exit("mcrev_plot: no swept key columns in " + args.rows)
    metrics = [m.strip() for m in args.metric.split(",") if m.strip()]
    for m in metrics:
        if not any(r["metric"] == m for r in all_rows):
            sys.exit("mcrev_plot: no rows of metric '%s'" % m)
    x_key = keys[0]
    panel_key = keys[1] if len(keys) > 1 else None
    for k in keys[2:]:
        if len({r[k] for r in all_rows}) > 1:
            sys.exit("mcrev_plot: %d swept keys; only two can be drawn (filter the rows on '%s')" % (len(keys), k))

    def ordered(values):
        values = list(dict.fromkeys(values))
        if all(as_number(v) is not None for v in values):
            return sorted(values, key=float)
        return values

    def label(key):
        # "mechanisms[0].reserve,mechanisms[1].reserve" -> "reserve (mechanisms[0], mechanisms[1])"
        paths = key.split(",")
        tails = {p.rsplit(".", 1)[-1] for p in paths}
        if len(paths) > 1 and len(tails) == 1 and all("." in p for p in paths):
            return "%s (%s)" % (tails.pop(), ", ".join(p.rsplit(".", 1)[0] for p in paths))
        return key

    panels = ordered(r[panel_key] for r in all_rows) if panel_key else [None]
    mechanisms = list(dict.fromkeys(r["mechanism"] for r in all_rows))
    numeric_x = all(as_number(r[x_key]) is not None for r in all_rows)
    fig, axes = plt.subplots(len(metrics), len(panels), figsize=(5.2 * len(panels) + 1.0, 3.6 * len(metrics) + 0.6),
                             squeeze=False, sharex="col")
    for row_i, metric in enumerate(metrics):
        rows = [r for r in all_rows if r["metric"] == metric]
        for ax, panel in zip(axes[row_i], panels):
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
                style = ["-", "--", ":", "-."][i % 4]  # overlapping curves (revenue equivalence) stay visible
                ax.plot(xv, mean, ls=style, marker="o" if len(xv) <= 12 else None, ms=3, lw=1.4, color=color, label=mech)
                ax.fill_between(xv, lo, hi, color=color, alpha=0.3, lw=0)
                if not numeric_x:
                    ax.set_xticks(xv)
                    ax.set_xticklabels(xs, rotation=30)
            if row_i == len(metrics) - 1:
                ax.set_xlabel(label(x_key))
            ax.set_ylabel(metric)
            if panel_key and row_i == 0:
                ax.set_title("%s = %s" % (label(panel_key), panel))
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
    title = args.title or "%s vs %s\n(bands: the sweep's confidence intervals)" % (", ".join(metrics), label(x_key))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    root, ext = os.path.splitext(args.out)
    tmp = root + ".mcrev-tmp" + (ext or ".png")
    fig.savefig(tmp, dpi=120)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
