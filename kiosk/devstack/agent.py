"""``kiosk agent run`` as a supervised process, with a fresh token in a 0600 file.

The agent reads its devices from the command line and environment (docs/card.md, docs/receipts.md):
the reader of a private pcscd (``PCSCLITE_CSOCK_NAME``), the PIN pad and the printer on the host
ends of their pty pairs, and the print queue folder.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from firmware_stubs.files import write_atomic
from kiosk.agent.client import AgentClient
from kiosk.devstack.errors import ProcessFailed
from kiosk.devstack.process import ManagedProcess, ReadyLine


def write_token(path: Path) -> str:
    """A new random bearer token in ``path`` (mode 0600); returned, never printed."""
    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (token + "\n").encode("ascii"))
    return token


@dataclass(frozen=True)
class AgentOptions:
    reader: str = "0"
    pinpad: Path | None = None
    printer: Path | None = None
    printer_width: int = 42
    print_queue: Path | None = None
    print_retry_s: float = 2.0
    listen: str = "127.0.0.1:0"
    extra_env: dict[str, str] = field(default_factory=dict)


class AgentProcess:
    def __init__(self, options: AgentOptions, *, token_file: Path, log_path: Path, pcscd_env: dict[str, str],
                 die_with_parent: bool = True) -> None:
        self.options, self.token_file = options, Path(token_file)
        self.token = write_token(self.token_file)
        argv = [sys.executable, "-m", "kiosk.cli", "agent", "run", "--listen", options.listen, "--reader",
                options.reader, "--token-file", str(self.token_file)]
        env = {**pcscd_env, "KIOSK_AGENT_TOKEN": "", "KIOSK_PRINT_RETRY_S": str(options.print_retry_s),
               "KIOSK_PRINTER": str(options.printer or ""), "KIOSK_PRINTER_WIDTH": str(options.printer_width)}
        if options.pinpad is not None:
            argv += ["--pinpad", str(options.pinpad)]
        if options.print_queue is not None:
            env["KIOSK_PRINT_QUEUE_DIR"] = str(options.print_queue)
        self.process = ManagedProcess("device agent", argv, log_path=log_path, env={**env, **options.extra_env},
                                      ready=ReadyLine(), die_with_parent=die_with_parent)
        self.url = ""

    def __repr__(self) -> str:
        return f"AgentProcess(url={self.url!r}, token_file={str(self.token_file)!r})"

    def start(self) -> str:
        url = self.process.start().get("url")
        if not isinstance(url, str):
            self.process.stop()
            raise ProcessFailed(process=self.process.name, detail="ready line without a URL")
        self.url = url
        return url

    def client(self, timeout_s: float = 5.0) -> AgentClient:
        return AgentClient(self.url, self.token, timeout_s)

    def stop(self) -> None:
        self.process.stop()

    @property
    def alive(self) -> bool:
        return self.process.alive

    def log_text(self) -> str:
        return self.process.log_text()
