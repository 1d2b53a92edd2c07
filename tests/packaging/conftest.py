"""`make build` once per session, and a way to run a built handler as Lambda would import it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import ROOT

# Runs inside a fresh interpreter with -I -S: no site-packages, only the built function and layer,
# as in the Lambda runtime (which adds /opt/python for layers and the task root for the function).
RUNNER = """
import json, sys
function_dir, layer_dir, event_path = sys.argv[1:4]
sys.path[:0] = [function_dir, layer_dir]
import app
class Context:
    function_name = "packaging-test"; memory_limit_in_mb = 1024; aws_request_id = "packaging"
    invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:packaging-test"
    def get_remaining_time_in_millis(self): return 30000
event = json.load(open(event_path))
print(json.dumps({"result": app.lambda_handler(event, Context()),
                  "site_packages": [p for p in sys.path if "site-packages" in p]}))
"""


@pytest.fixture(scope="session")
def sam_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The application as `make build` deploys it (sam build, then bytecode), for this machine's
    architecture (production builds arm64)."""
    build_dir = tmp_path_factory.mktemp("sam") / "build"
    architecture = "arm64" if os.uname().machine in ("aarch64", "arm64") else "x86_64"
    completed = subprocess.run(
        ["make", "--no-print-directory", "build", f"BUILD_DIR={build_dir}", f"ARCHITECTURE={architecture}"],
        cwd=ROOT,
        env=dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}"),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return build_dir


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def invoke_built(build_dir: Path, function: str, event_path: Path, env: dict[str, str]) -> dict:
    """Invoke `function`'s built handler with an event file in a fresh, isolated interpreter."""
    completed = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            RUNNER,
            str(build_dir / function),
            str(build_dir / "TakedownLayer" / "python"),
            str(event_path),
        ],
        env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    output = json.loads(completed.stdout.strip().splitlines()[-1])
    assert output["site_packages"] == []
    return output["result"]
