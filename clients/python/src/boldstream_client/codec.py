"""How messages travel (docs/protocol.md): the WebSocket URL and the two encodings this client speaks.

- msgpack (default): binary frames, plain maps, bytes as msgpack bin;
- JSON: text frames, bytes as base64 strings.

Both carry a message as an object whose ``type`` names the oneof member of ServerMessage /
ClientMessage, plus that member's fields (messages.py). The server's third encoding, protobuf, would
need the protobuf runtime; this client does not speak it.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Optional, Union
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import messages

ENCODINGS = ("msgpack", "json")
WS_PATH = "/ws"

Frame = Union[bytes, str]


def ws_url(server: str, encoding: str = "msgpack", protocol: int = messages.PROTOCOL_VERSION, token: Optional[str] = None) -> str:
    """The WebSocket URL for a server given as ``http://host:port``, ``ws://host:port`` or either with ``/ws``.

    ``encoding`` and ``protocol`` are stated in the query; ``token``, when given, goes in as ``token=``
    (for servers that cannot read the ``Authorization`` header).
    """
    check_encoding(encoding)
    parts = urlsplit(server if "://" in server else f"http://{server}")
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme.lower())
    if scheme is None:
        raise ValueError(f"{server!r}: expected an http(s):// or ws(s):// URL")
    if not parts.netloc:
        raise ValueError(f"{server!r}: no host")
    path = parts.path.rstrip("/")
    if not path.endswith(WS_PATH):
        path = f"{path}{WS_PATH}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("encoding", "protocol", "token")]
    query += [("encoding", encoding), ("protocol", str(protocol))]
    if token is not None:
        query.append(("token", token))
    return urlunsplit((scheme, parts.netloc, path, urlencode(query), ""))


def check_encoding(encoding: str, usable: bool = False) -> None:
    """Raises ValueError for an encoding this client does not speak; with ``usable``, ImportError when msgpack is missing."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding {encoding!r}: this client speaks {', '.join(ENCODINGS)}")
    if usable and encoding == "msgpack":
        _msgpack()


def _msgpack() -> Any:
    try:
        import msgpack  # Debian: python3-msgpack
    except ImportError as error:  # pragma: no cover - depends on the machine
        raise ImportError("the msgpack encoding needs the msgpack package (Debian: python3-msgpack); or connect with encoding='json'") from error
    return msgpack


# msgpackr's typed-array extension (ext type 0x74, "t"): one byte naming the array type, then its
# little-endian bytes. A Node server may send a Uint8Array `bytes` field (a frame's PNG) that way
# rather than as plain msgpack bin, and lists of numbers as Float64Array and the like.
_TYPED_ARRAY_EXT = 0x74
_TYPED_ARRAYS = {0: "b", 3: "h", 4: "H", 5: "i", 6: "I", 7: "f", 8: "d", 9: "q", 10: "Q"}
_BYTE_ARRAYS = (1, 2, 16)  # Uint8Array, Uint8ClampedArray, ArrayBuffer


def _ext_hook(code: int, data: bytes) -> Any:
    if code == _TYPED_ARRAY_EXT and len(data) >= 1:
        kind, raw = data[0], bytes(data[1:])
        if kind in _BYTE_ARRAYS:
            return raw
        fmt = _TYPED_ARRAYS.get(kind)
        if fmt is not None and len(raw) % struct.calcsize(fmt) == 0:
            return list(struct.unpack(f"<{len(raw) // struct.calcsize(fmt)}{fmt}", raw))
    return _msgpack().ExtType(code, data)


def encode(message: Any, encoding: str) -> Frame:
    """A client message (messages.Hello, Subscribe, EventMessage, ...) as one WebSocket frame."""
    if encoding == "json":
        # allow_nan=False: NaN is not JSON, and the server refuses non-finite numbers anyway.
        return json.dumps(messages.client_message(message, "base64"), allow_nan=False, separators=(",", ":"))
    return _msgpack().packb(messages.client_message(message, "binary"), use_bin_type=True)


def decode(frame: Frame, encoding: str) -> Optional[Any]:
    """A server frame as its message class (messages.RecordMessage, Frame, ...); None for a type this client does not know."""
    if encoding == "json":
        data = json.loads(frame if isinstance(frame, str) else bytes(frame).decode("utf-8"))
    else:
        if isinstance(frame, str):
            raise ValueError("msgpack messages travel in binary frames, got a text frame")
        data = _msgpack().unpackb(frame, raw=False, strict_map_key=False, ext_hook=_ext_hook)
    return messages.server_message(data)


def message_type(message: Any) -> str:
    """The envelope ``type`` of a server message object (``record``, ``frame``, ...)."""
    for name, cls in messages.SERVER_MESSAGES.items():
        if type(message) is cls:
            return name
    raise TypeError(f"{type(message).__name__} is not a server message")
