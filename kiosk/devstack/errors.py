"""Every failure of the emulated device stack is a :class:`DevStackError`.

Each error has a stable ``code``, structured ``fields`` (which process, which log file, ...) and
a message in Bahasa Indonesia and English that says what to do about it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DevStackError(Exception):
    """Base of every device-stack error."""

    code: ClassVar[str] = "devstack_error"
    message_id_default: ClassVar[str] = "Tumpukan perangkat emulasi gagal."
    message_en_default: ClassVar[str] = "The emulated device stack failed."

    def __init__(self, message_id: str | None = None, message_en: str | None = None, **fields: Any) -> None:
        self.message_id = message_id or self.message_id_default
        self.message_en = message_en or self.message_en_default
        self.fields: dict[str, Any] = fields
        super().__init__(f"{self.message_en} {fields}" if fields else self.message_en)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message_id": self.message_id, "message_en": self.message_en, "fields": self.fields}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, fields={self.fields!r})"


class MissingTool(DevStackError):
    """A Debian package the stack needs is not installed (``tool`` names the program)."""

    code = "missing_tool"
    message_id_default = "Program yang dibutuhkan belum terpasang. Jalankan scripts/bootstrap."
    message_en_default = "A program the device stack needs is not installed. Run scripts/bootstrap."


class ProcessFailed(DevStackError):
    """A child process exited or did not get ready in time (``process``, ``log``, ``tail``)."""

    code = "process_failed"
    message_id_default = "Proses perangkat emulasi tidak siap atau berhenti. Lihat berkas log-nya."
    message_en_default = "An emulated device process did not get ready or stopped. See its log file."


class PcscdNeedsRoot(DevStackError):
    """The private pcscd needs its own mount namespace (``unshare --mount``), which needs root."""

    code = "pcscd_needs_root"
    message_id_default = ("pcscd pribadi membutuhkan root (CAP_SYS_ADMIN untuk `unshare --mount`). Jalankan sebagai "
                          "root, atau hentikan pcscd sistem agar pcscd ini dapat memakai /run/pcscd.")
    message_en_default = ("The private pcscd needs root (CAP_SYS_ADMIN for `unshare --mount`). Run as root, or stop "
                          "the system pcscd so that this one can use /run/pcscd.")


class ControlFailed(DevStackError):
    """An emulator's control API refused a request or did not answer (``url``, ``status``, ``answer``)."""

    code = "control_failed"
    message_id_default = "Antarmuka kendali emulator menolak atau tidak menjawab."
    message_en_default = "The emulator's control interface refused the request or did not answer."


class StackNotRunning(DevStackError):
    """``stack.json`` is missing in the run folder, or the stack described there is gone."""

    code = "stack_not_running"
    message_id_default = "Tumpukan perangkat tidak berjalan di folder ini. Mulai dengan `kiosk devices up`."
    message_en_default = "No device stack is running in this folder. Start one with `kiosk devices up`."
