"""Maintenance scripts for the policy pack. Nothing here runs inside the pack."""
