"""Investigation notebooks shipped with LogPilot, found by ``logpilot report NAME``.

The folder is a package only so that the notebooks travel inside the wheel and can be
located with :mod:`importlib.resources` after ``pip install``.
"""
