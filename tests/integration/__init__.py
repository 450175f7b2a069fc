"""Tests that run real Pulumi operations; each skips itself, naming what is missing."""
