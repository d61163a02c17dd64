"""The test suite's fake Slack Web API in a process of its own, driven over stdin/stdout.

Real Slack runs on someone else's machine; run in the benchmark's own process, the fake would
take the interpreter lock from the load generator or from the code being measured. So the
benchmarks start it with `FakeSlackProcess()`, which runs this file:

    python bench/fakeslack_proc.py [--rate-limit METHOD:PER_WINDOW:WINDOW_SECONDS]

It prints one JSON line `{"url": ..., "root": ...}` when it is serving, then answers one
JSON line per command line on stdin: `count METHOD`, `channels METHOD` (the `channel`
argument of each successful call, in order), `faults METHOD`, `response_url NAME` (a
response_url the fake will take, as Slack hands one out with each command), `reset`, `quit`.

The fake is as strict as in the tests, but for Slack's per-method rate tiers: the
benchmarks send unpaced, to measure planbot's own work per message, where production paces
its posts at one a second (which keeps `users.info` within its tier too). `--rate-limit`
puts one limit back, to measure how planbot copes with 429s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


TIERS_OFF = "benchmarks measure planbot's own work, unpaced; production paces its posts"


def serve(rate_limit: str | None) -> None:
    from support.fakeslack import FakeSlack

    with FakeSlack() as fake:
        fake.loosen("rate_limits", why=TIERS_OFF)
        if rate_limit:
            method, per_window, window = rate_limit.split(":")
            fake.rate_limit(method, per_minute=int(per_window), window_seconds=float(window))
        print(json.dumps({"url": fake.url, "root": fake.root}), flush=True)
        for line in sys.stdin:
            command, _, method = line.strip().partition(" ")
            answer: Any
            if command == "count":
                answer = len(fake.calls_to(method))
            elif command == "channels":
                answer = [str(call.args.get("channel", "")) for call in fake.calls_to(method)]
            elif command == "faults":
                answer = [fault.kind for fault in fake.faults_for(method)]
            elif command == "response_url":
                answer = fake.response_url(method)
            elif command == "reset":
                fake.reset()
                fake.loosen("rate_limits", why=TIERS_OFF)
                answer = "ok"
            elif command == "quit":
                print(json.dumps("bye"), flush=True)
                return
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)


class FakeSlackProcess:
    """A running `fakeslack_proc.py`; `url` is the Web API base URL to give planbot."""

    def __init__(self, *, rate_limit: tuple[str, int, float] | None = None) -> None:
        argv = [sys.executable, str(Path(__file__).resolve())]
        if rate_limit is not None:
            method, per_window, window = rate_limit
            argv += ["--rate-limit", f"{method}:{per_window}:{window}"]
        self._process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        hello = json.loads(self._readline())
        self.url: str = hello["url"]
        self.root: str = hello["root"]

    def _readline(self) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the fake Slack process ended unexpectedly")
        return line

    def _ask(self, command: str) -> Any:
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        return json.loads(self._readline())

    def response_url(self, name: str) -> str:
        return str(self._ask(f"response_url {name}"))

    def count(self, method: str) -> int:
        return int(self._ask(f"count {method}"))

    def channels(self, method: str) -> list[str]:
        return cast(list[str], self._ask(f"channels {method}"))

    def faults(self, method: str) -> list[str]:
        return cast(list[str], self._ask(f"faults {method}"))

    def reset(self) -> None:
        self._ask("reset")

    def stop(self) -> None:
        if self._process.poll() is None:
            try:
                self._ask("quit")
                self._process.wait(timeout=5)
            except (OSError, RuntimeError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait(timeout=5)

    def __enter__(self) -> FakeSlackProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate-limit", default=None)
    serve(parser.parse_args().rate_limit)
