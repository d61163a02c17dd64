"""Test support: a fake Slack Web API and a throwaway PostgreSQL cluster."""
