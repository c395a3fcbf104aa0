# %% [markdown]
# # mcrev from Python: a quickstart
#
# Notebook-style cells (`# %%`: VS Code, Jupytext, Spyder), or run it whole:
# `python3 examples/python/quickstart.py`. Needs `pip install ".[plot]"` from the repository root
# (mcrev with pandas and matplotlib). docs/python.md describes the API.

# %%
import pathlib

import mcrev

HERE = pathlib.Path(__file__).resolve().parent if "__file__" in globals() else pathlib.Path.cwd()
print(mcrev.version_text)

# %% [markdown]
# ## 1. The built-in default scenario
# Five iid U[0, 1] bidders and five mechanisms on the same profiles. Revenue equivalence: second
# price, first price and all-pay at their equilibria all earn (n − 1)/(n + 1) = 2/3.

# %%
default = mcrev.run(samples=2_000_000, seed=1, backend="cpu")
print(default)
print("profiles/s:", f"{default['run']['profiles_per_second']:.3g}")

# %% [markdown]
# ## 2. A dict scenario: two mechanisms on common random numbers
# Three bidders, one of them stronger (values U[0, 2]); second price against first price at the
# asymmetric Bayes-Nash equilibrium (solved numerically by mcrev: docs/single_item.md). With
# asymmetric bidders revenue equivalence fails; `revenue_diff` is the difference to the first
# mechanism, with its own interval (tight: both run on the same profiles).

# %%
scenario = {
    "samples": 1_000_000,
    "seed": 7,
    "backend": "cpu",
    "bidders": [
        {"name": "weak", "count": 2, "value": {"dist": "uniform", "low": 0.0, "high": 1.0}},
        {"name": "strong", "count": 1, "value": {"dist": "uniform", "low": 0.0, "high": 2.0}},
    ],
    "mechanisms": [
        {"kind": "second_price", "name": "second_price"},
        {"kind": "first_price", "name": "first_price_bne", "strategy": "bne"},
    ],
}
pair = mcrev.run(scenario)
diff = pair.mechanism("first_price_bne")["revenue_diff"]
print(f"first price (BNE) − second price: {diff['mean']:.5f}  [{diff['ci_low']:.5f}, {diff['ci_high']:.5f}]")

# %% [markdown]
# ## 3. The tidy frame
# One row per mechanism × metric (`group` is None) and per mechanism × metric × bidder group.

# %%
df = pair.to_pandas()
print(df.columns.tolist())
print(df[df.group.isna()].pivot(index="mechanism", columns="metric", values="mean").round(4).to_string())
print(df[df.metric == "win"][["mechanism", "group", "mean", "stderr"]].to_string(index=False))

# %% [markdown]
# ## 4. Revenue with 95 % intervals, as a bar chart

# %%
import matplotlib

matplotlib.use("Agg")  # draw to a file; drop this line in a notebook to see the figure inline
import matplotlib.pyplot as plt

rev = default.to_pandas().query("metric == 'revenue'")
fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
ax.bar(rev.mechanism, rev["mean"], color="#4c72b0",
       yerr=[rev["mean"] - rev.ci_low, rev.ci_high - rev["mean"]], capsize=4, ecolor="black")
ax.axhline(4 / 6, color="#c44e52", linestyle="--", linewidth=1, label="(n − 1)/(n + 1) = 2/3")
ax.set_ylabel("expected revenue")
ax.set_ylim(0.4, 0.72)
ax.set_title(f"5 iid U[0,1] bidders, {default['run']['samples']:,} profiles (95 % intervals)", fontsize=10)
ax.tick_params(axis="x", labelrotation=20, labelsize=8)
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()
out = HERE / "quickstart_revenue.png"
fig.savefig(out)
print("wrote", out)
