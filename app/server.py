"""A tiny JSON web service for the platform's example stacks (standard library only).

GET <PATH_PREFIX>/health -> 200 {"status": "ok"}; GET <PATH_PREFIX>/ -> a hello naming the service (env
SERVICE_NAME). PATH_PREFIX (default empty) lets a service routed by a path pattern such as /api/* answer
under it. Listens on HOST:PORT (default 0.0.0.0:8080), logs one line per request to stdout, writes no
files, and shuts down cleanly on SIGTERM (ECS stops tasks with SIGTERM, then SIGKILL after the stop timeout).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    server_version = "platform-app/1.0"
    sys_version = ""

    def do_GET(self) -> None:
        prefix = os.environ.get("PATH_PREFIX", "").rstrip("/")
        path = self.path.split("?", 1)[0]
        if path == f"{prefix}/health":
            self._send(200, {"status": "ok"})
        elif path in (f"{prefix}/", prefix):
            self._send(200, {"message": "hello", "service": os.environ.get("SERVICE_NAME", "app")})
        else:
            self._send(404, {"error": "not found"})

    def _send(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        sys.stdout.write(f"{self.address_string()} {format % args}\n")
        sys.stdout.flush()


def main() -> int:
    host = os.environ.get("HOST", "0.0.0.0")
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True

    def stop(signum: int, _frame: object) -> None:
        # shutdown() waits for serve_forever() to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on {host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
