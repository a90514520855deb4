"""The explorers: traitlets state, bqplot views and ipywidgets controls (DESIGN.md layers).

state/       the numbers of one explorer family (one module each, sharing ``_base._State``);
             one solver call per input change
views/       bqplot figures that draw what a state says
controls.py  ipywidgets bound to a state
explorers/   one module per explorer, composing the three (``_base`` holds what they share)
"""
