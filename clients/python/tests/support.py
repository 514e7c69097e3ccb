"""Shared by the tests: the package on the path (from the source tree), and a fake server transport."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

SRC = Path(__file__).resolve().parents[1] / "src"
if SRC.is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from boldstream_client import codec, messages  # noqa: E402

try:
    import msgpack  # noqa: F401

    HAVE_MSGPACK = True
except ImportError:  # pragma: no cover
    HAVE_MSGPACK = False

PROTO = Path(__file__).resolve().parents[3] / "proto" / "boldstream.proto"


def server_frame(message: Any, encoding: str) -> Any:
    """What a server would send for a server message object."""
    body = {"type": codec.message_type(message), **messages.to_wire(message, "base64" if encoding == "json" else "binary")}
    if encoding == "json":
        return json.dumps(body)
    import msgpack

    return msgpack.packb(body, use_bin_type=True)


def client_body(frame: Any, encoding: str) -> Dict[str, Any]:
    """A frame the client sent, decoded to a plain object."""
    if encoding == "json":
        assert isinstance(frame, str), "JSON travels in text frames"
        return json.loads(frame)
    import msgpack

    assert isinstance(frame, bytes), "msgpack travels in binary frames"
    return msgpack.unpackb(frame, raw=False)


class FakeServer:
    """A transport factory whose 'server' welcomes, acknowledges every message and can be told to send more."""

    def __init__(self, encoding: str = "msgpack", welcome_protocol: int = messages.PROTOCOL_VERSION, refuse: Optional[messages.ErrorBody] = None, auto_ack: bool = True) -> None:
        self.encoding = encoding
        self.welcome_protocol = welcome_protocol
        self.refuse = refuse
        self.auto_ack = auto_ack
        self.url = ""
        self.headers: Dict[str, str] = {}
        self.sent: List[Dict[str, Any]] = []
        self.closed_by_client = False
        self._on_message: Optional[Callable[[Any], None]] = None
        self._on_close: Optional[Callable[[int, str], None]] = None

    def __call__(self, url: str, headers: Dict[str, str], on_message: Callable[[Any], None], on_close: Callable[[int, str], None], timeout: float) -> "FakeServer":
        self.url, self.headers, self._on_message, self._on_close = url, dict(headers), on_message, on_close
        if self.refuse is not None:
            self.push(self.refuse)
            self.close_from_server(4426 if self.refuse.code == "PROTOCOL_VERSION" else 4400, f"{self.refuse.code}: {self.refuse.message}")
        else:
            self.push(messages.Welcome(protocol=self.welcome_protocol, server="test", backend="cpu"))
        return self

    # the transport interface
    def send(self, frame: Any) -> None:
        body = client_body(frame, self.encoding)
        self.sent.append(body)
        if self.auto_ack:
            ref = (body.get("ref") or "start") if body["type"] == "start" else body["type"]
            session = body.get("session") or (body.get("spec") or {}).get("id")
            self.push(messages.AckMessage(ref=ref, session=session, tr=body.get("fromTr", body.get("index"))))

    def close(self) -> None:
        self.closed_by_client = True
        if self._on_close:
            self._on_close(1000, "")

    # the test's side
    def push(self, message: Any) -> None:
        assert self._on_message is not None
        self._on_message(server_frame(message, self.encoding))

    def close_from_server(self, code: int, reason: str) -> None:
        assert self._on_close is not None
        self._on_close(code, reason)

    def record(self, tr: int, session: str = "run-01", **fields: Any) -> None:
        roi = fields.pop("roi", {"amygdala": 0.1 * tr, "ffa": -0.1 * tr})
        self.push(messages.RecordMessage(session=session, record=messages.TrRecord(tr=tr, roi=roi, **fields)))
