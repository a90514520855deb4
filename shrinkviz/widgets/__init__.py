"""The explorers: traitlets state, bqplot views and ipywidgets controls (DESIGN.md layers).

state.py     the numbers of one explorer; one solver call per input change
views/       bqplot figures that draw what a state says
controls.py  ipywidgets bound to a state
explorers.py ShrinkageExplorer and PoolingLinesExplorer, composing the three
"""
