"""The floor for the ack benchmark: the fastest bare Bolt set-up, served by uvicorn.

An async Bolt app (`AsyncApp`) whose only listener acknowledges `/update` and does nothing
else, behind Bolt's ASGI adapter on uvicorn, with the same signing secret and the same
fake Slack Web API (for the one `auth.test` Bolt makes) as planbot. Nothing can answer a
signed slash command through Bolt with less work, so planbot's latency is measured against it.

    python bench/floor_app.py --port 3001 --signing-secret S --api-url URL [--deferred]

By default the handler runs before the response (`process_before_response=True`): the ack
goes out as soon as the listener returns, which is the fastest Bolt can be. `--deferred` is
Bolt's default instead (the listener runs as a task and the request polls for its ack).
"""

from __future__ import annotations

import argparse
from typing import Any


def build(signing_secret: str, api_url: str, *, deferred: bool) -> Any:
    from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench-floor", base_url=api_url),
        signing_secret=signing_secret,
        process_before_response=not deferred,
    )

    @app.command("/update")
    async def update(ack: Any) -> None:
        await ack()

    return AsyncSlackRequestHandler(app)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--signing-secret", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--deferred", action="store_true")
    args = parser.parse_args()
    asgi = build(args.signing_secret, args.api_url, deferred=args.deferred)
    uvicorn.run(asgi, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
