"""The former name of :mod:`shrinkviz.model.checks`, kept while meta.py and tau2.py import it."""

from .checks import *  # noqa: F403
from .checks import _shown  # noqa: F401
