"""The domain core: rules of the cycle with no Slack and no database."""
