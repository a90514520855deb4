"""Static pictures of the explorers, drawn with matplotlib in the kernel (no browser).

One module per explorer family, each with one ``draw(fig, snapshot, ...)`` that draws a state's
``snapshot`` into a matplotlib Figure in the picture language of the bqplot views (the colours
of ``views._theme``; complete pooling dashed, no pooling dotted, partial pooling solid; a
group's own estimate hollow, its partial-pooling estimate filled). An explorer calls its
family's ``draw`` from its ``_draw_static`` hook (``explorers._base._Explorer``): that is
what ``savefig``, ``save_animation`` and the picture beside a displayed explorer use.

Every artist that shows a number carries a gid (``"pooled"``, ``"own"``, ``"rule"``, ...), so
a test reads the plotted coordinates back, and an SVG names them. matplotlib is imported only
when a picture is drawn: ``import shrinkviz`` stays light.
"""
