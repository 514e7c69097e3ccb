"""The WebSocket under the client: one background thread reads every frame and hands it on.

The ``websockets`` package (Debian: python3-websockets) in either of its forms:

- ``websockets.sync.client`` (websockets 11 and later): a blocking connection read by a thread;
- otherwise (websockets 10, Debian 12): the asyncio client on an event loop of its own in a thread.

Either way the caller's thread never runs an event loop, and pings are answered while it is busy
drawing stimuli. ``on_message(frame)`` and then ``on_close(code, reason)`` (once) are called on the
reader thread.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable, Dict, Tuple, Union

Frame = Union[bytes, str]
OnMessage = Callable[[Frame], None]
OnClose = Callable[[int, str], None]

# Records and frames are small; the welcome lists every session. Well above any of them.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def _websockets() -> Any:
    try:
        import websockets
    except ImportError as error:  # pragma: no cover - depends on the machine
        raise ImportError("boldstream_client needs the websockets package (Debian: python3-websockets)") from error
    return websockets


def _closed_with(error: BaseException) -> Tuple[int, str]:
    """Close code and reason from a websockets ConnectionClosed (1006 when no close frame came)."""
    received = getattr(error, "rcvd", None)
    if received is not None:
        return int(received.code), str(received.reason)
    code = getattr(error, "code", None)  # websockets < 10
    if isinstance(code, int) and code not in (1005, 1006):
        return code, str(getattr(error, "reason", ""))
    return 1006, str(error) or type(error).__name__


class Transport:
    """One WebSocket connection; ``send`` may be called from any thread."""

    def send(self, frame: Frame) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def open_transport(url: str, headers: Dict[str, str], on_message: OnMessage, on_close: OnClose, open_timeout: float) -> Transport:
    """Connects (raises OSError, or websockets' InvalidHandshake, or TimeoutError) and starts reading."""
    _websockets()
    try:
        from websockets.sync.client import connect  # noqa: F401  (websockets >= 11)
    except ImportError:
        return _AsyncioTransport(url, headers, on_message, on_close, open_timeout)
    return _SyncTransport(url, headers, on_message, on_close, open_timeout)


class _SyncTransport(Transport):
    def __init__(self, url: str, headers: Dict[str, str], on_message: OnMessage, on_close: OnClose, open_timeout: float) -> None:
        from websockets.sync.client import connect

        self._ws = connect(url, additional_headers=headers or None, max_size=MAX_MESSAGE_BYTES, compression=None, open_timeout=open_timeout)
        self._thread = threading.Thread(target=self._read, args=(on_message, on_close), name="boldstream-reader", daemon=True)
        self._thread.start()

    def _read(self, on_message: OnMessage, on_close: OnClose) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                on_message(self._ws.recv())
        except ConnectionClosed as error:
            on_close(*_closed_with(error))
        except Exception as error:  # noqa: BLE001 - the connection is unusable; say why
            on_close(1006, f"{type(error).__name__}: {error}")

    def send(self, frame: Frame) -> None:
        self._ws.send(frame)

    def close(self) -> None:
        self._ws.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)


class _AsyncioTransport(Transport):
    def __init__(self, url: str, headers: Dict[str, str], on_message: OnMessage, on_close: OnClose, open_timeout: float) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="boldstream-loop", daemon=True)
        self._thread.start()
        self._timeout = open_timeout
        self._ws: Any = None
        try:
            self._ws = self._run(self._open(url, headers), open_timeout + 1)
        except BaseException:
            self._stop()
            raise
        self._reader = asyncio.run_coroutine_threadsafe(self._read(on_message, on_close), self._loop)

    async def _open(self, url: str, headers: Dict[str, str]) -> Any:
        websockets = _websockets()
        return await websockets.connect(url, extra_headers=headers or None, max_size=MAX_MESSAGE_BYTES, compression=None, open_timeout=self._timeout)

    async def _read(self, on_message: OnMessage, on_close: OnClose) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                on_message(await self._ws.recv())
        except ConnectionClosed as error:
            on_close(*_closed_with(error))
        except Exception as error:  # noqa: BLE001
            on_close(1006, f"{type(error).__name__}: {error}")

    def _run(self, coroutine: Any, timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    def send(self, frame: Frame) -> None:
        self._run(self._ws.send(frame), 30)

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self._loop.close()

    def close(self) -> None:
        if threading.current_thread() is self._thread:
            raise RuntimeError("close() from the reader thread")
        try:
            self._run(self._ws.close(), 10)
            self._reader.result(5)
        except Exception:  # noqa: BLE001 - closing a connection that is already gone
            pass
        finally:
            self._stop()
