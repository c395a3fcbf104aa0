#!/usr/bin/env python3
"""The Myerson–Satterthwaite trade-off on one set of draws: gains from trade, budget surplus and
ex-post IR violation of every bilateral-trade mechanism, with 95% intervals (docs/two_sided.md).

    mcrev run examples/bilateral_trade.toml --format json -o bilateral.json
    python3 examples/two_sided/plot_tradeoff.py bilateral.json examples/two_sided/tradeoff.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def main(src, dst):
    with open(src) as f:
        result = json.load(f)
    mechs = result["mechanisms"]
    names = [m["name"] for m in mechs]

    def series(get):
        est = [get(m) for m in mechs]
        mean = [e["mean"] for e in est]
        err = [[e["mean"] - e["ci_low"] for e in est], [e["ci_high"] - e["mean"] for e in est]]
        return mean, err

    panels = [
        ("gains from trade (first best 1/6)", lambda m: m["gains_from_trade"], 1 / 6),
        ("budget surplus (Σ transfers; < 0 = deficit)", lambda m: m["budget_surplus"], 0.0),
        ("P(buyer's ex-post utility < 0)", lambda m: m["bidders"][0]["ir_violation"], None),
        ("P(seller's ex-post utility < 0)", lambda m: m["bidders"][1]["ir_violation"], None),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.2), sharey=True)
    y = list(range(len(names)))
    for ax, (title, get, ref) in zip(axes, panels):
        mean, err = series(get)
        ax.barh(y, mean, xerr=err, color="#4c72b0", alpha=0.85, capsize=3)
        if ref is not None:
            ax.axvline(ref, color="#c44e52", ls="--", lw=1)
        ax.axvline(0.0, color="black", lw=0.6)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(names)
    axes[0].invert_yaxis()
    run = result["run"]
    fig.suptitle(
        "Bilateral trade, v, c ~ U[0,1]: efficient, budget balanced or IR — pick two "
        f"({run['samples']:,} common draws, 95% intervals)",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(dst, dpi=120)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "tradeoff.png")
