"""A blocking client for the stimulus computer (PsychoPy, Psychtoolbox via Python, a plain script).

    from boldstream_client import BoldstreamClient

    with BoldstreamClient("http://127.0.0.1:8080") as client:
        client.subscribe("run-01")
        client.event("run-01", trial_type="face", stim_file="faces/f017.png")
        print(client.feedback(timeout=1.0).value)

A background thread reads the WebSocket and answers pings; the caller's thread only ever waits on
its own calls, each with a timeout. Records and reconstruction frames are queued as they arrive
(``next_record``, ``next_frame``) and the newest usable record is kept for ``feedback``.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import math
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from . import codec, messages
from .messages import PROTOCOL_VERSION
from .transport import Frame, OnClose, OnMessage, Transport, open_transport

__version__ = "0.1.0"
CLIENT_NAME = f"boldstream-python/{__version__}"

log = logging.getLogger("boldstream_client")

TransportFactory = Callable[[str, Dict[str, str], OnMessage, OnClose, float], Transport]


class BoldstreamError(Exception):
    """The server refused something: ``code`` is from its error catalogue (docs/errors.md)."""

    def __init__(self, code: str, message: str, close_code: Optional[int] = None) -> None:
        self.code = code
        self.message = message
        self.close_code = close_code
        closed = f" (WebSocket closed with {close_code})" if close_code is not None else ""
        super().__init__(f"{code}: {message}{closed}")


class ProtocolVersionError(BoldstreamError):
    """The server speaks another protocol major (close code 4426); the message says which."""


class ConnectionClosedError(BoldstreamError):
    """The connection is gone; ``close_code`` says how it ended."""


@dataclasses.dataclass
class Feedback:
    """The feedback value of one TR: the ROI signal and, with a classifier, the decoded label."""

    session: str
    tr: int
    value: Optional[float]  # mean z-score in the ROI `roi` (None when the record has no ROI)
    roi: Optional[str]
    label: Optional[str]  # decoded label of this TR (None without a classifier)
    scores: Dict[str, float]  # decoded class scores of this TR
    trial: Optional[messages.Trial]  # the refined decision of the current trial, when there is one
    warming_up: bool  # too few volumes yet for stable z-scores
    record: messages.TrRecord
    received: float  # time.monotonic() when the record arrived


@dataclasses.dataclass
class _Waiter:
    ref: str
    ack: Optional[messages.AckMessage] = None
    done: bool = False


def _usable(record: Optional[messages.TrRecord]) -> bool:
    return record is not None and record.error is None


class BoldstreamClient:
    """One WebSocket connection to a boldstream server (docs/protocol.md).

    ``server``: ``http://host:port`` (or ``ws://``, with or without ``/ws``). ``encoding``: msgpack
    (default) or json. ``token``: sent as ``Authorization: Bearer`` (``token_via="header"``, the
    default), as ``token=`` in the URL (``"query"``) or both (``"both"``). ``protocol``: the major
    stated in the URL and in ``hello`` (the schema's, unless testing a refusal). ``timeout``: seconds
    to connect and to wait for each acknowledgement. ``keep_records`` / ``keep_frames``: how many
    unread records and frames are held (the oldest go first beyond that; see ``dropped_records``).

    Raises ProtocolVersionError when the server speaks another protocol major, BoldstreamError
    for another refusal, ConnectionError when the server cannot be reached.
    """

    def __init__(
        self,
        server: str,
        *,
        encoding: str = "msgpack",
        token: Optional[str] = None,
        token_via: str = "header",
        protocol: int = PROTOCOL_VERSION,
        name: str = CLIENT_NAME,
        timeout: float = 10.0,
        hello: bool = True,
        keep_records: int = 10_000,
        keep_frames: int = 64,
        transport_factory: Optional[TransportFactory] = None,
    ) -> None:
        codec.check_encoding(encoding, usable=True)
        if token_via not in ("header", "query", "both"):
            raise ValueError(f"token_via {token_via!r}: expected header, query or both")
        self.encoding = encoding
        self.timeout = timeout
        self.welcome: Optional[messages.Welcome] = None
        self.dropped_records = 0  # unread records dropped beyond keep_records
        self.undecodable = 0  # server messages that did not decode (logged and ignored)
        self._cond = threading.Condition()
        self._records: Deque[messages.RecordMessage] = collections.deque()
        self._keep_records = keep_records
        self._frames: Deque[messages.Frame] = collections.deque(maxlen=keep_frames)
        self._statuses: Deque[messages.StatusMessage] = collections.deque(maxlen=1000)
        self._sessions: Dict[str, messages.SessionInfo] = {}
        self._waiters: List[_Waiter] = []
        self._latest: Optional[Tuple[int, messages.RecordMessage, float]] = None
        self._latest_by_session: Dict[str, Tuple[int, messages.RecordMessage, float]] = {}
        self._seq = 0
        self._fed = 0
        self._error: Optional[messages.ErrorBody] = None
        self._closed: Optional[BoldstreamError] = None
        self._transport_closed = False

        query_token = token if token is not None and token_via in ("query", "both") else None
        headers = {"Authorization": f"Bearer {token}"} if token is not None and token_via in ("header", "both") else {}
        url = codec.ws_url(server, encoding, protocol, query_token)
        shown = codec.ws_url(server, encoding, protocol, "redacted" if query_token is not None else None)
        factory = transport_factory or open_transport
        try:
            self._transport = factory(url, headers, self._on_message, self._on_close, timeout)
        except (OSError, TimeoutError) as error:
            raise ConnectionError(f"cannot connect to {shown}: {error}") from error
        except Exception as error:  # websockets' InvalidHandshake and the like: not a WebSocket server at that URL
            raise ConnectionError(f"cannot connect to {shown}: {type(error).__name__}: {error}") from error
        try:
            self.welcome = self._wait(lambda: self.welcome, timeout, "the server's welcome")
            if protocol == PROTOCOL_VERSION and self.welcome.protocol != PROTOCOL_VERSION:
                raise ProtocolVersionError("PROTOCOL_VERSION", f"server speaks protocol {self.welcome.protocol}; this client speaks protocol {PROTOCOL_VERSION}")
            if hello:
                self._request(messages.Hello(protocol=protocol, client=name), "hello")
        except BaseException:
            self.close()
            raise

    # -- context manager -------------------------------------------------------------------------

    def __enter__(self) -> "BoldstreamClient":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def close(self) -> None:
        """Closes the connection (idempotent)."""
        with self._cond:
            if self._closed is None:
                self._closed = ConnectionClosedError("CLIENT_CLOSED", "the client closed the connection", 1000)
            self._cond.notify_all()
            already, self._transport_closed = self._transport_closed, True
        if not already:
            try:
                self._transport.close()
            except Exception as error:  # noqa: BLE001 - it is gone either way
                log.debug("closing: %s", error)

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed is not None

    # -- what the reader thread does ---------------------------------------------------------------

    def _on_message(self, frame: Frame) -> None:
        try:
            message = codec.decode(frame, self.encoding)
        except Exception as error:  # noqa: BLE001 - one bad frame must not stop the reader
            with self._cond:
                self.undecodable += 1
            log.warning("ignored a server message that does not decode: %s", error)
            return
        if message is None:
            return  # a message type from a newer server
        with self._cond:
            self._dispatch(message)
            self._cond.notify_all()

    def _dispatch(self, message: Any) -> None:
        if isinstance(message, messages.Welcome):
            self.welcome = message
            self._sessions = {s.id: s for s in message.sessions}
        elif isinstance(message, messages.RecordMessage):
            if len(self._records) >= self._keep_records:
                self._records.popleft()
                self.dropped_records += 1
            self._records.append(message)
            if _usable(message.record):
                self._seq += 1
                latest = (self._seq, message, time.monotonic())
                self._latest = latest
                self._latest_by_session[message.session] = latest
        elif isinstance(message, messages.Frame):
            self._frames.append(message)
        elif isinstance(message, messages.StatusMessage):
            self._statuses.append(message)
            if message.session is not None:
                self._sessions[message.session.id] = message.session
        elif isinstance(message, messages.AckMessage):
            for waiter in self._waiters:
                if not waiter.done and waiter.ref == message.ref:
                    waiter.ack, waiter.done = message, True
                    self._waiters.remove(waiter)
                    break
        elif isinstance(message, messages.ErrorBody):
            self._error = message

    def _on_close(self, code: int, reason: str) -> None:
        with self._cond:
            if self._closed is None:
                self._closed = self._closing_error(code, reason)
            for waiter in self._waiters:
                waiter.done = True
            self._waiters.clear()
            self._cond.notify_all()

    def _closing_error(self, code: int, reason: str) -> BoldstreamError:
        error_code, text = (self._error.code, self._error.message) if self._error else (None, None)
        if error_code is None and ": " in reason and reason.split(": ", 1)[0].isupper():
            error_code, text = reason.split(": ", 1)
        if error_code == "PROTOCOL_VERSION" or code == 4426:
            return ProtocolVersionError("PROTOCOL_VERSION", text or reason, code)
        if error_code is not None:
            return BoldstreamError(error_code, text or "", code)
        return ConnectionClosedError("CONNECTION_CLOSED", f"the connection closed ({code}{f': {reason}' if reason else ''})", code)

    # -- waiting ---------------------------------------------------------------------------------

    def _wait(self, ready: Callable[[], Any], timeout: Optional[float], what: str) -> Any:
        """Waits until ready() (called under the lock) returns something other than None; raises on timeout or close."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                value = ready()
                if value is not None:
                    return value
                if self._closed is not None:
                    raise self._closed
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"no {what} within {timeout:g} s")
                self._cond.wait(remaining)

    def _request(self, message: Any, ref: str, wait: bool = True, timeout: Optional[float] = None) -> Optional[messages.AckMessage]:
        """Sends a client message; with ``wait``, returns its acknowledgement."""
        frame = codec.encode(message, self.encoding)
        waiter = _Waiter(ref)
        with self._cond:
            if self._closed is not None:
                raise self._closed
            if wait:
                self._waiters.append(waiter)
        try:
            self._transport.send(frame)
        except Exception as error:
            with self._cond:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                if self._closed is not None:
                    raise self._closed from error
            raise
        if not wait:
            return None
        wait_for = self.timeout if timeout is None else timeout

        def acked() -> Optional[messages.AckMessage]:
            if waiter.done and waiter.ack is None:
                raise self._closed or ConnectionClosedError("CONNECTION_CLOSED", "the connection closed")
            return waiter.ack

        try:
            return self._wait(acked, wait_for, f"acknowledgement of {ref}")
        finally:
            with self._cond:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    # -- client → server -------------------------------------------------------------------------

    def subscribe(self, session: str = "*", from_tr: Optional[int] = None) -> None:
        """Records (and frames) of ``session`` (``"*"``: every session) from now on; with ``from_tr``,
        first the records from that TR on (catch-up), then the live ones, none twice or missing."""
        self._request(messages.Subscribe(session=session, fromTr=from_tr), "subscribe")

    def unsubscribe(self, session: str) -> None:
        self._request(messages.Unsubscribe(session=session), "unsubscribe")

    def start(self, spec: Any, ref: Optional[str] = None) -> str:
        """Starts a session from a messages.SessionSpec (or a dict of its fields); returns its id."""
        if isinstance(spec, dict):
            spec = messages.from_wire(messages.SessionSpec, spec)
        ref = ref or f"start:{spec.id or ''}"
        ack = self._request(messages.StartSession(spec=spec, ref=ref), ref)
        if ack is None or ack.session is None:
            raise BoldstreamError("INTERNAL", "the server acknowledged start without a session id")
        return ack.session

    def end(self, session: str, timeout: Optional[float] = None) -> None:
        """Ends a session's source; returns once the session has ended."""
        self._request(messages.EndSession(session=session), "end", timeout=timeout)

    def event(
        self,
        session: str,
        trial_type: Optional[str] = None,
        stim_file: Optional[str] = None,
        *,
        onset: Optional[float] = None,
        duration: float = 0.0,
        wait: bool = True,
    ) -> None:
        """A trial marker: the stimulus shown (``stim_file``) and its condition (``trial_type``).

        ``onset`` in seconds from the start of the run; left out, the server places the marker
        "now" on the run clock. ``wait=False`` does not wait for the server's acknowledgement.
        """
        for what, number in (("onset", onset), ("duration", duration)):
            if number is not None and not math.isfinite(number):
                raise ValueError(f"{what} must be a finite number, got {number!r}")
        marker = messages.EventMarker(onset=None if onset is None else float(onset), duration=float(duration), trial_type=trial_type, stim_file=stim_file)
        self._request(messages.EventMessage(session=session, event=marker), "event", wait=wait)

    # -- server → client -------------------------------------------------------------------------

    def next_record(self, timeout: Optional[float] = None, session: Optional[str] = None) -> messages.RecordMessage:
        """The oldest record not read yet (of ``session``, if given), in TR order; waits up to ``timeout`` s.

        Raises TimeoutError, or the closing error once the connection has gone and none is left.
        """

        def take() -> Optional[messages.RecordMessage]:
            for i, message in enumerate(self._records):
                if session is None or message.session == session:
                    del self._records[i]
                    return message
            return None

        return self._wait(take, timeout, "record" if session is None else f"record of {session}")

    def next_frame(self, timeout: Optional[float] = None) -> messages.Frame:
        """The oldest reconstruction frame not read yet (messages.Frame, ``png`` holds the PNG bytes)."""
        return self._wait(lambda: self._frames.popleft() if self._frames else None, timeout, "frame")

    def next_status(self, timeout: Optional[float] = None) -> messages.StatusMessage:
        return self._wait(lambda: self._statuses.popleft() if self._statuses else None, timeout, "status")

    def pending_records(self) -> List[messages.RecordMessage]:
        """Every record not read yet, oldest first; they count as read."""
        with self._cond:
            taken = list(self._records)
            self._records.clear()
            return taken

    @property
    def sessions(self) -> Dict[str, messages.SessionInfo]:
        """The sessions this client has heard of (welcome, then status messages), by id."""
        with self._cond:
            return dict(self._sessions)

    def wait_session(self, session: str, states: Tuple[str, ...] = ("ended", "failed"), timeout: Optional[float] = None) -> messages.SessionInfo:
        """Waits until ``session`` is in one of ``states`` (as told by status messages); returns its info."""

        def reached() -> Optional[messages.SessionInfo]:
            info = self._sessions.get(session)
            return info if info is not None and info.state in states else None

        return self._wait(reached, timeout, f"session {session} {'/'.join(states)}")

    def latest_record(self, session: Optional[str] = None) -> Optional[messages.RecordMessage]:
        """The newest usable record (one without ``error``), of ``session`` if given; None before the first."""
        with self._cond:
            latest = self._latest if session is None else self._latest_by_session.get(session)
            return None if latest is None else latest[1]

    def feedback(self, timeout: Optional[float] = 1.0, *, roi: Optional[str] = None, session: Optional[str] = None, newer: bool = True) -> Feedback:
        """The feedback value of the latest TR.

        Returns the newest usable record (one without ``error``) as Feedback: ``value`` is its mean
        z-score in ``roi`` (default: the record's first ROI), ``label`` / ``scores`` what the
        classifier decoded. With ``newer`` (the default) only a record that arrived after the one the
        previous call returned counts, so each TR's value is given once; the call waits up to
        ``timeout`` seconds for one and raises TimeoutError if none came. ``newer=False`` returns the
        newest record at once when there is one. Either way the record returned counts as given.
        Raises KeyError if the record has no ROI ``roi``, and the closing error (BoldstreamError)
        when the connection has gone and no record is left to give.
        """

        def pick() -> Optional[Tuple[int, messages.RecordMessage, float]]:
            latest = self._latest if session is None else self._latest_by_session.get(session)
            if latest is None or (newer and latest[0] <= self._fed):
                return None
            return latest

        try:
            seq, message, received = self._wait(pick, timeout, "new record" if newer else "record")
        except TimeoutError as error:
            with self._cond:
                latest = self._latest if session is None else self._latest_by_session.get(session)
            seen = f"; the latest was TR {latest[1].record.tr} of {latest[1].session}" if latest and latest[1].record else ""
            raise TimeoutError(f"{error}{seen}") from None
        feedback = _feedback(message, received, roi)
        with self._cond:
            self._fed = max(self._fed, seq)
        return feedback


def _feedback(message: messages.RecordMessage, received: float, roi: Optional[str]) -> Feedback:
    record = message.record
    if record is None:
        raise BoldstreamError("INTERNAL", "a record message without a record")
    if roi is not None and roi not in record.roi:
        have = ", ".join(record.roi) or "none"
        raise KeyError(f"TR {record.tr} of {message.session} has no ROI {roi!r} (it has: {have})")
    name = roi if roi is not None else next(iter(record.roi), None)
    return Feedback(
        session=message.session,
        tr=record.tr,
        value=None if name is None else record.roi[name],
        roi=name,
        label=record.decoded.label if record.decoded is not None else None,
        scores=dict(record.decoded.scores) if record.decoded is not None else {},
        trial=record.trial,
        warming_up=bool(record.quality.warmingUp) if record.quality is not None else False,
        record=record,
        received=received,
    )


def connect(server: str, **options: Any) -> BoldstreamClient:
    """BoldstreamClient(server, **options): connects, states the protocol and waits for the welcome."""
    return BoldstreamClient(server, **options)
