"""Pictures drawn in the kernel: savefig and save_animation of the explorers (matplotlib).

    .venv/bin/python benchmarks/bench_savefig.py

Prints wall and CPU seconds of: savefig of the eight schools (PNG at 150 dpi, SVG, PDF) and of
radon's pooling lines (PNG at 150 dpi); the static picture a displayed explorer carries (PNG at
72 dpi); sweep_snapshots (the 61 frames of Play's sweep, computed, not drawn); save_animation of
that sweep as a GIF at 80 dpi. The reference in the same run: one matplotlib savefig of a plain
line plot of the same size, the floor any picture of this size costs.
"""

import tempfile
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import shrinkviz as sv


def timed(label, fn, repeat=3):
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    print(f"{label:<52} wall {np.median(walls):7.3f} s   cpu {np.median(cpus):7.3f} s")


def main():
    out = Path(tempfile.mkdtemp(prefix="bench-savefig-"))
    schools = sv.ShrinkageExplorer.eight_schools()
    radon = sv.PoolingLinesExplorer.radon()
    schools.savefig(out / "warm.png")  # fonts and caches

    def plain():
        fig = Figure(figsize=(11, 5.5), layout="constrained")
        ax = fig.subplots()
        ax.plot(np.arange(10), np.arange(10))
        fig.savefig(out / "plain.png", dpi=150)

    timed("reference: matplotlib line plot, PNG 150 dpi", plain)
    timed("eight schools savefig PNG 150 dpi", lambda: schools.savefig(out / "s.png"))
    timed("eight schools savefig SVG", lambda: schools.savefig(out / "s.svg"))
    timed("eight schools savefig PDF", lambda: schools.savefig(out / "s.pdf"))
    timed("radon savefig PNG 150 dpi", lambda: radon.savefig(out / "r.png"))
    timed("eight schools picture beside the widget (72 dpi)", schools._picture)
    timed("radon picture beside the widget (72 dpi)", radon._picture)
    timed("eight schools sweep_snapshots (61 frames, not drawn)", schools.sweep_snapshots)
    timed(
        "eight schools save_animation GIF 80 dpi", lambda: schools.save_animation(out / "s.gif"), 1
    )


if __name__ == "__main__":
    main()
