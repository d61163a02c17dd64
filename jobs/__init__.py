"""Scheduled jobs: thin loops over a service call; the database decides what is due."""
