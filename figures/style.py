"""Shared look of every figure: a colour-blind-safe palette with one colour per method."""

from __future__ import annotations

# Okabe & Ito (2008) colour-blind-safe palette
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

# one colour per method, the same in every figure
METHOD_COLORS = {
    "AE-SNN": "#0072B2",
    "AE-SNN (bptt)": "#56B4E9",
    "AE-ANN (Adam)": "#D55E00",
    "AE-ANN (SGD)": "#E69F00",
    "AC-SNN": "#0072B2",
    "AC-ANN (Adam)": "#D55E00",
    "AC-ANN (SGD)": "#E69F00",
    "mirror": "#0072B2",
    "Brian2": "#D55E00",
    "no mask": "#CC79A7",
}


def color(method: str) -> str:
    """The colour of a named method (``METHOD_COLORS``; the palette's first for others)."""
    return METHOD_COLORS.get(method, OKABE_ITO[0])


def sweep_colors(n: int) -> list[str]:
    """n distinct colour-blind-safe colours for a parameter sweep."""
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def apply() -> None:
    """Matplotlib defaults for all figures (call before plotting)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    matplotlib.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 120, "axes.grid": True, "grid.alpha": 0.3,
        "axes.spines.top": False, "axes.spines.right": False, "font.size": 9,
        "legend.fontsize": 8, "legend.frameon": False,
    })
