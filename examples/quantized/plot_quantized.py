#!/usr/bin/env python3
"""Draws the quantized-bids study (docs/quantized.md) from the CSV files of quantized_study.

    python3 examples/quantized/plot_quantized.py [OUTPUT_DIR]     (default: examples/quantized/output)

Writes fig1.png, fig2.png (seller utility over the threshold plane of two buyers, optimal thresholds
marked) and fig3.png (seller utility vs number of buyers: analog, binary optimal, binary random,
two-level). Uses matplotlib, installing it with pip if it is missing; if that fails, writes the
same figures as hand-made SVG files (fig1.svg, fig2.svg, fig3.svg).
"""
import csv
import os
import subprocess
import sys


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load(out_dir):
    data = {}
    for fig in ("fig1", "fig2"):
        rows = read_csv(os.path.join(out_dir, f"{fig}_surface.csv"))
        t1 = sorted({float(r["theta1"]) for r in rows})
        t2 = sorted({float(r["theta2"]) for r in rows})
        index = {(float(r["theta1"]), float(r["theta2"])): float(r["seller_utility"]) for r in rows}
        z = [[index[(a, b)] for a in t1] for b in t2]  # z[row = θ2][col = θ1]
        data[fig] = (t1, t2, z)
    data["optima"] = read_csv(os.path.join(out_dir, "two_buyer_optima.csv"))
    data["fig3"] = read_csv(os.path.join(out_dir, "fig3_buyers.csv"))
    return data


TITLES = {
    "fig1": "Fig. 1: V1~U[0,1], V2~U[1,2], v0=1",
    "fig2": "Fig. 2: V1~U[0,2], V2~U[1,3], v0=0",
}
SERIES = [  # (column, label, colour)
    ("analog_exact", "Analog (Myerson)", "#1f77b4"),
    ("two_level_per_bidder_exact", "Two-level optimal (per bidder)", "#9467bd"),
    ("binary_per_bidder_exact", "Binary optimal (per bidder)", "#2ca02c"),
    ("binary_symmetric_exact", "Binary optimal (symmetric)", "#ff7f0e"),
    ("binary_random_exact", "Binary random", "#d62728"),
]
MC = {
    "analog_exact": ("analog_mc", "analog_se"),
    "two_level_per_bidder_exact": ("two_level_per_bidder_mc", "two_level_per_bidder_se"),
    "binary_per_bidder_exact": ("binary_per_bidder_mc", "binary_per_bidder_se"),
    "binary_symmetric_exact": ("binary_symmetric_mc", "binary_symmetric_se"),
    "binary_random_exact": ("binary_random_mc", "binary_random_se"),
}


def get_matplotlib():
    try:
        import matplotlib
    except ImportError:
        try:
            subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "matplotlib"], check=True)
        except Exception as e:  # no network, no pip: fall back to SVG
            print(f"matplotlib unavailable ({e}); writing SVG by hand", file=sys.stderr)
            return None
        import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_matplotlib(plt, data, out_dir):
    for fig in ("fig1", "fig2"):
        t1, t2, z = data[fig]
        f, ax = plt.subplots(figsize=(6, 4.8))
        cs = ax.contourf(t1, t2, z, levels=30, cmap="viridis")
        ax.contour(t1, t2, z, levels=12, colors="white", linewidths=0.4, alpha=0.6)
        f.colorbar(cs, ax=ax, label="seller's expected utility")
        for row in data["optima"]:
            if row["figure"] != fig or row["search"] == "grid_max":
                continue
            marker = "*" if row["search"] == "per_bidder" else "o"
            ax.plot(float(row["theta1"]), float(row["theta2"]), marker, color="red" if marker == "*" else "orange",
                    markersize=12 if marker == "*" else 7,
                    label=f"{row['search']}: ({float(row['theta1']):.3f}, {float(row['theta2']):.3f}) "
                          f"→ {float(row['exact_seller_utility']):.4f}")
        ax.set_xlabel("θ1 (buyer 1's threshold)")
        ax.set_ylabel("θ2 (buyer 2's threshold)")
        ax.set_title(TITLES[fig])
        ax.legend(loc="lower left", fontsize=8)
        f.tight_layout()
        f.savefig(os.path.join(out_dir, f"{fig}.png"), dpi=120)
        plt.close(f)
    rows = data["fig3"]
    n = [int(r["n"]) for r in rows]
    f, ax = plt.subplots(figsize=(6.4, 4.8))
    for col, label, colour in SERIES:
        ax.plot(n, [float(r[col]) for r in rows], "-", color=colour, label=label)
        mc, se = MC[col]
        ax.errorbar(n, [float(r[mc]) for r in rows], yerr=[2 * float(r[se]) for r in rows], fmt="o", color=colour,
                    markersize=3, capsize=2)
    ax.set_xlabel("number of buyers n (iid U[0,1], v0 = 0)")
    ax.set_ylabel("seller's expected utility")
    ax.set_title("Fig. 3: analog vs quantized bids (lines exact, dots Monte Carlo ± 2 SE)")
    ax.title.set_fontsize(10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    f.tight_layout()
    f.savefig(os.path.join(out_dir, "fig3.png"), dpi=120)
    plt.close(f)
    return ["fig1.png", "fig2.png", "fig3.png"]


# --- SVG fallback ---------------------------------------------------------------------------------

def colour_map(x):
    """Dark blue → green → yellow for x in [0, 1]."""
    stops = [(0.0, (68, 1, 84)), (0.5, (33, 145, 140)), (1.0, (253, 231, 37))]
    for (a, ca), (b, cb) in zip(stops, stops[1:]):
        if x <= b:
            w = (x - a) / (b - a) if b > a else 0
            return "#%02x%02x%02x" % tuple(int(ca[k] + w * (cb[k] - ca[k])) for k in range(3))
    return "#%02x%02x%02x" % stops[-1][1]


def svg_surface(data, fig, path):
    t1, t2, z = data[fig]
    W, H, L, T, S = 560, 460, 70, 40, 360
    lo = min(min(r) for r in z)
    hi = max(max(r) for r in z)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<text x="{W / 2}" y="22" text-anchor="middle">{TITLES[fig]}</text>']
    cw, ch = S / len(t1), S / len(t2)
    for j, row in enumerate(z):
        for i, v in enumerate(row):
            x = L + i * cw
            y = T + S - (j + 1) * ch
            out.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{cw + 0.5:.2f}" height="{ch + 0.5:.2f}" '
                       f'fill="{colour_map((v - lo) / (hi - lo) if hi > lo else 0.5)}"/>')
    for row in data["optima"]:
        if row["figure"] != fig or row["search"] == "grid_max":
            continue
        x = L + (float(row["theta1"]) - t1[0]) / (t1[-1] - t1[0]) * S
        y = T + S - (float(row["theta2"]) - t2[0]) / (t2[-1] - t2[0]) * S
        c = "red" if row["search"] == "per_bidder" else "orange"
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{c}" stroke="white"/>')
    out.append(f'<text x="{L + S / 2}" y="{T + S + 35}" text-anchor="middle">θ1 from {t1[0]:g} to {t1[-1]:g}</text>')
    out.append(f'<text x="20" y="{T + S / 2}" transform="rotate(-90 20 {T + S / 2})" text-anchor="middle">'
               f'θ2 from {t2[0]:g} to {t2[-1]:g}</text>')
    out.append(f'<text x="{L + S + 10}" y="{T + 10}">max {hi:.4f}</text>')
    out.append(f'<text x="{L + S + 10}" y="{T + S}">min {lo:.4f}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out))


def svg_fig3(data, path):
    rows = data["fig3"]
    W, H, L, T, PW, PH = 640, 460, 70, 40, 420, 340
    n = [int(r["n"]) for r in rows]
    ys = [float(r[c]) for r in rows for c, _, _ in SERIES]
    lo, hi = min(ys) * 0.95, max(ys) * 1.02
    X = lambda v: L + (v - n[0]) / (n[-1] - n[0]) * PW
    Y = lambda v: T + PH - (v - lo) / (hi - lo) * PH
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<text x="{W / 2}" y="22" text-anchor="middle">Fig. 3: seller utility vs number of buyers</text>',
           f'<rect x="{L}" y="{T}" width="{PW}" height="{PH}" fill="none" stroke="black"/>']
    for k in n:
        out.append(f'<text x="{X(k):.1f}" y="{T + PH + 16}" text-anchor="middle">{k}</text>')
    for i in range(6):
        v = lo + (hi - lo) * i / 5
        out.append(f'<text x="{L - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>')
    for idx, (col, label, colour) in enumerate(SERIES):
        pts = " ".join(f"{X(k):.1f},{Y(float(r[col])):.1f}" for k, r in zip(n, rows))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        mc, _ = MC[col]
        for k, r in zip(n, rows):
            out.append(f'<circle cx="{X(k):.1f}" cy="{Y(float(r[mc])):.1f}" r="2.5" fill="{colour}"/>')
        out.append(f'<text x="{L + PW + 8}" y="{T + 14 + 16 * idx}" fill="{colour}">{label}</text>')
    out.append(f'<text x="{L + PW / 2}" y="{T + PH + 36}" text-anchor="middle">number of buyers n</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")
    data = load(out_dir)
    plt = get_matplotlib()
    if plt is not None:
        written = plot_matplotlib(plt, data, out_dir)
    else:
        svg_surface(data, "fig1", os.path.join(out_dir, "fig1.svg"))
        svg_surface(data, "fig2", os.path.join(out_dir, "fig2.svg"))
        svg_fig3(data, os.path.join(out_dir, "fig3.svg"))
        written = ["fig1.svg", "fig2.svg", "fig3.svg"]
    print("wrote " + ", ".join(os.path.join(out_dir, w) for w in written))


if __name__ == "__main__":
    main()
