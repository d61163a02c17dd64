"""Where Slack's requests come in: over HTTP (`http`) or over Socket Mode (`socket_mode`).

The edge of the bot: each entrypoint hands Slack's requests to the Bolt app that
`bot.app.create_app` builds, and the core knows neither.
"""
