"""The former name of :mod:`shrinkviz.model.checks`, kept while meta.py and tau2.py import it."""

from .checks import (
    groups_with_data,  # noqa: F401
    )
