"""Container health check of the sample app: exit 0 when its health path answers 200, 1 otherwise.

A task definition runs it as ``["CMD", "python3", "/app/healthcheck.py"]``. It reads the same PORT and
PATH_PREFIX as server.py, so the probe always matches what the server listens on.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    port = int(os.environ.get("PORT", "8080"))
    url = f"http://127.0.0.1:{port}{os.environ.get('PATH_PREFIX', '').rstrip('/')}/health"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            healthy = response.status == 200
    except OSError as err:  # refused, timed out, or an HTTP error status
        print(f"unhealthy: {url}: {err}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
