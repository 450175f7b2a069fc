"""Typed stack settings and the ``python -m stacks`` command line."""
