# Generated from proto/boldstream.proto by scripts/gen-proto.ts. Do not edit; run `npm run proto:gen`.
"""The boldstream wire messages (proto/boldstream.proto) as dataclasses.

Field names are exactly the proto's. `from_wire` builds a message from a decoded msgpack or JSON
object (unknown fields are ignored: a newer server may add some), `to_wire` turns one back into a
plain dict without the fields left at None. `server_message` and `client_message` add the envelope:
the `type` that names the oneof member of ServerMessage / ClientMessage.
"""

from __future__ import annotations

import base64
import dataclasses as _dc
from typing import Any, Dict, List, Optional, Tuple, Type, TypeVar

# The protocol major this schema describes (enum ProtocolVersion in the proto).
PROTOCOL_VERSION = 1


@_dc.dataclass
class Motion:
    """(boldstream.v1.Motion)"""

    trans_x: float = 0.0  # mm, head motion from the reference to this volume, world (RAS+) axes
    trans_y: float = 0.0
    trans_z: float = 0.0
    rot_x: float = 0.0  # radians, about the reference field-of-view centre
    rot_y: float = 0.0
    rot_z: float = 0.0
    matrix: List[float] = _dc.field(default_factory=list)  # 16 numbers, a 4x4 row-major world-mm rigid transform mapping a position in this volume to the same tissue's position in the reference volume.


@_dc.dataclass
class Decoded:
    """(boldstream.v1.Decoded)"""

    label: str = ""  # the class with the highest score
    scores: Dict[str, float] = _dc.field(default_factory=dict)


@_dc.dataclass
class Trial:
    """(boldstream.v1.Trial)"""

    index: int = 0  # 0-based index of the trial in the session
    onset: float = 0.0  # s from the start of the run
    duration: float = 0.0  # s
    n: int = 0  # TRs accumulated so far
    label: str = ""  # decided label from the accumulated evidence
    scores: Dict[str, float] = _dc.field(default_factory=dict)
    truth: Optional[str] = None  # the event's own trial_type when the stimulus computer sent it
    stim_file: Optional[str] = None


@_dc.dataclass
class Warning:
    """(boldstream.v1.Warning)"""

    code: str = ""  # a code from the error catalogue (docs/errors.md)
    message: str = ""


@_dc.dataclass
class ErrorBody:
    """(boldstream.v1.ErrorBody)"""

    code: str = ""
    message: str = ""


@_dc.dataclass
class Quality:
    """(boldstream.v1.Quality)"""

    similarity: float = 0.0  # correlation with the reference after alignment
    iterations: int = 0  # registration iterations
    converged: bool = False
    nonfiniteVoxels: int = 0  # NaN/Inf voxels excluded from this volume
    warmingUp: bool = False  # too few volumes yet for stable z-scores


@_dc.dataclass
class TrRecord:
    """(boldstream.v1.TrRecord)"""

    tr: int = 0  # 0-based index of the volume in the run; never renumbered by gaps or duplicates
    acquisitionTime: Optional[float] = None  # s, scanner clock (seconds since midnight for DICOM)
    receivedAt: Optional[float] = None  # Unix epoch ms, server clock, when the volume was complete (absent for a TR that never came)
    motion: Optional[Motion] = None
    framewise_displacement: Optional[float] = None  # mm (Power et al. 2012)
    roi: Dict[str, float] = _dc.field(default_factory=dict)  # mask name → mean z-score in the mask
    decoded: Optional[Decoded] = None
    trial: Optional[Trial] = None
    latencyMs: Dict[str, float] = _dc.field(default_factory=dict)  # per stage, and `total` from arrival to record
    warnings: List[Warning] = _dc.field(default_factory=list)
    quality: Optional[Quality] = None
    error: Optional[ErrorBody] = None  # Set instead of the fields above when the volume could not be used; the stream goes on.


@_dc.dataclass
class SourceSpec:
    """(boldstream.v1.SourceSpec)"""

    kind: str = ""  # replay | watch | push | recording
    path: Optional[str] = None  # replay/watch/recording: a file or folder inside the data folders
    speed: Optional[float] = None  # replay pace as a multiple of the TR; 0 means as fast as possible
    seriesNumber: Optional[int] = None  # watch: which DICOM series to take (default: the first new one)


@_dc.dataclass
class MaskSpec:
    """(boldstream.v1.MaskSpec)"""

    name: str = ""
    path: Optional[str] = None  # a NIfTI inside the data folders...
    nifti: Optional[bytes] = None  # ...or the NIfTI file itself


@_dc.dataclass
class EventMarker:
    """(boldstream.v1.EventMarker)"""

    onset: Optional[float] = None  # s from the start of the run; absent: now, on the run clock
    duration: float = 0.0  # s
    trial_type: Optional[str] = None
    stim_file: Optional[str] = None


@_dc.dataclass
class SessionSpec:
    """(boldstream.v1.SessionSpec)"""

    id: Optional[str] = None  # absent: the server makes one
    source: Optional[SourceSpec] = None
    masks: List[MaskSpec] = _dc.field(default_factory=list)
    model: Optional[str] = None  # name of a classifier bundle on the server
    events: List[EventMarker] = _dc.field(default_factory=list)  # a known schedule (replay with --events)
    dummyScans: Optional[int] = None
    repetitionTime: Optional[float] = None  # s; overrides the header
    featureModel: Optional[str] = None  # name of a feature-decoder bundle: reconstructions are made per trial


@_dc.dataclass
class SessionInfo:
    """(boldstream.v1.SessionInfo)"""

    id: str = ""
    state: str = ""  # starting | running | ended | failed
    source: Optional[SourceSpec] = None
    records: int = 0  # records emitted so far
    model: Optional[str] = None
    masks: List[str] = _dc.field(default_factory=list)
    startedAt: float = 0.0  # Unix epoch ms
    endedAt: Optional[float] = None
    error: Optional[ErrorBody] = None
    repetitionTime: Optional[float] = None
    paused: Optional[bool] = None  # Replays: true while paused (POST /sessions/:id/pause); source.speed is the pace in force.


@_dc.dataclass
class SpeedChange:
    """POST /sessions/:id/speed: a replay's new pace, a multiple of the scanner's; 0 = as fast as possible. (boldstream.v1.SpeedChange)"""

    speed: float = 0.0


@_dc.dataclass
class Welcome:
    """(boldstream.v1.Welcome)"""

    protocol: int = 0
    server: str = ""  # server version
    backend: str = ""  # compute backend in use
    sessions: List[SessionInfo] = _dc.field(default_factory=list)


@_dc.dataclass
class RecordMessage:
    """(boldstream.v1.RecordMessage)"""

    session: str = ""
    record: Optional[TrRecord] = None


@_dc.dataclass
class StatusMessage:
    """(boldstream.v1.StatusMessage)"""

    session: Optional[SessionInfo] = None
    detail: Optional[str] = None  # e.g. "stalled", "behind"


@_dc.dataclass
class Frame:
    """One reconstruction of a trial's image: a refinement of the previous one. Frames of a trial come while its TRs arrive and the optimiser runs; a client that falls behind gets the newest only. (boldstream.v1.Frame)"""

    session: str = ""
    trial: int = 0  # trial index (as in TrRecord.trial.index)
    tr: int = 0  # the newest TR whose decoded features this frame matches
    iteration: int = 0  # optimiser iterations since the trial's first estimate (0: the instant first frame)
    loss: float = 0.0  # feature-matching loss at this image (normalised; lower is better)
    featureCorrelation: float = 0.0  # correlation of this image's features with the decoded ones
    width: int = 0
    height: int = 0
    png: bytes = b""  # the image, PNG
    space: str = ""  # the feature space matched, e.g. "pixels-32" or "mobilenet_v2"
    stim_file: Optional[str] = None  # the trial's stimulus, when the events name it
    elapsedMs: float = 0.0  # since the trial's first decoded TR


@_dc.dataclass
class AckMessage:
    """(boldstream.v1.AckMessage)"""

    ref: str = ""  # what is acknowledged (the client's `ref`, or the message type)
    session: Optional[str] = None
    tr: Optional[int] = None


@_dc.dataclass
class Hello:
    """(boldstream.v1.Hello)"""

    protocol: int = 0
    client: Optional[str] = None  # free text, e.g. "boldstream-python/0.1"


@_dc.dataclass
class Subscribe:
    """(boldstream.v1.Subscribe)"""

    session: str = ""  # "*" for every session
    fromTr: Optional[int] = None  # catch up from this TR out of the recording


@_dc.dataclass
class Unsubscribe:
    """(boldstream.v1.Unsubscribe)"""

    session: str = ""


@_dc.dataclass
class StartSession:
    """(boldstream.v1.StartSession)"""

    spec: Optional[SessionSpec] = None
    ref: Optional[str] = None


@_dc.dataclass
class EndSession:
    """(boldstream.v1.EndSession)"""

    session: str = ""


@_dc.dataclass
class VolumePush:
    """One volume pushed by a scanner-side client into a push session. (boldstream.v1.VolumePush)"""

    session: str = ""
    index: int = 0  # 0-based volume index in the run, from the scanner
    dims: List[int] = _dc.field(default_factory=list)  # 3 numbers
    voxelSize: List[float] = _dc.field(default_factory=list)  # 3 numbers, mm
    affine: List[float] = _dc.field(default_factory=list)  # 16 numbers, row-major voxel → world RAS+ mm
    dtype: str = ""  # float32 | int16 | uint16 (little-endian)
    data: bytes = b""
    acquisitionTime: Optional[float] = None
    repetitionTime: Optional[float] = None
    warnings: List[Warning] = _dc.field(default_factory=list)  # What the client's reader noticed about this volume (codes from the catalogue); they go into the record.


@_dc.dataclass
class EventMessage:
    """(boldstream.v1.EventMessage)"""

    session: str = ""
    event: Optional[EventMarker] = None


# The fields that need more than passing through, as (shape, kind): shape "one", "list" or "map";
# kind "float" (msgpack and JSON write 2.0 as 2), "bytes" (base64 in JSON) or a message class.
_WIRE: Dict[str, Dict[str, Tuple[str, str]]] = {
    "Motion": {"trans_x": ("one", "float"), "trans_y": ("one", "float"), "trans_z": ("one", "float"), "rot_x": ("one", "float"), "rot_y": ("one", "float"), "rot_z": ("one", "float"), "matrix": ("list", "float")},
    "Decoded": {"scores": ("map", "float")},
    "Trial": {"onset": ("one", "float"), "duration": ("one", "float"), "scores": ("map", "float")},
    "Warning": {},
    "ErrorBody": {},
    "Quality": {"similarity": ("one", "float")},
    "TrRecord": {"acquisitionTime": ("one", "float"), "receivedAt": ("one", "float"), "motion": ("one", "Motion"), "framewise_displacement": ("one", "float"), "roi": ("map", "float"), "decoded": ("one", "Decoded"), "trial": ("one", "Trial"), "latencyMs": ("map", "float"), "warnings": ("list", "Warning"), "quality": ("one", "Quality"), "error": ("one", "ErrorBody")},
    "SourceSpec": {"speed": ("one", "float")},
    "MaskSpec": {"nifti": ("one", "bytes")},
    "EventMarker": {"onset": ("one", "float"), "duration": ("one", "float")},
    "SessionSpec": {"source": ("one", "SourceSpec"), "masks": ("list", "MaskSpec"), "events": ("list", "EventMarker"), "repetitionTime": ("one", "float")},
    "SessionInfo": {"source": ("one", "SourceSpec"), "startedAt": ("one", "float"), "endedAt": ("one", "float"), "error": ("one", "ErrorBody"), "repetitionTime": ("one", "float")},
    "SpeedChange": {"speed": ("one", "float")},
    "Welcome": {"sessions": ("list", "SessionInfo")},
    "RecordMessage": {"record": ("one", "TrRecord")},
    "StatusMessage": {"session": ("one", "SessionInfo")},
    "Frame": {"loss": ("one", "float"), "featureCorrelation": ("one", "float"), "png": ("one", "bytes"), "elapsedMs": ("one", "float")},
    "AckMessage": {},
    "Hello": {},
    "Subscribe": {},
    "Unsubscribe": {},
    "StartSession": {"spec": ("one", "SessionSpec")},
    "EndSession": {},
    "VolumePush": {"voxelSize": ("list", "float"), "affine": ("list", "float"), "data": ("one", "bytes"), "acquisitionTime": ("one", "float"), "repetitionTime": ("one", "float"), "warnings": ("list", "Warning")},
    "EventMessage": {"event": ("one", "EventMarker")},
}

# ServerMessage: the `type` of a msgpack or JSON message and the class of its body.
SERVER_MESSAGES: Dict[str, type] = {"welcome": Welcome, "record": RecordMessage, "status": StatusMessage, "ack": AckMessage, "error": ErrorBody, "frame": Frame}

# ClientMessage: the `type` of a msgpack or JSON message and the class of its body.
CLIENT_MESSAGES: Dict[str, type] = {"hello": Hello, "subscribe": Subscribe, "unsubscribe": Unsubscribe, "start": StartSession, "end": EndSession, "volume": VolumePush, "event": EventMessage}


_CLASSES: Dict[str, type] = {name: globals()[name] for name in _WIRE}
_CLIENT_TYPES: Dict[type, str] = {cls: name for name, cls in CLIENT_MESSAGES.items()}
T = TypeVar("T")


def _one(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "float":
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if kind == "bytes":
        return base64.b64decode(value) if isinstance(value, str) else bytes(value)
    return from_wire(_CLASSES[kind], value)


def _value(shape: str, kind: str, value: Any) -> Any:
    if value is None:
        return None
    if shape == "list":
        return [_one(kind, v) for v in value]
    if shape == "map":
        return {k: _one(kind, v) for k, v in value.items()}
    return _one(kind, value)


def from_wire(cls: Type[T], data: Dict[str, Any]) -> T:
    """A message of class `cls` from a decoded msgpack or JSON object; unknown fields are left out."""
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    special = _WIRE[cls.__name__]
    known = {f.name for f in _dc.fields(cls)}  # type: ignore[arg-type]
    values = {}
    for key, value in data.items():
        if key not in known or value is None:
            continue
        values[key] = _value(*special[key], value) if key in special else value
    return cls(**values)


def to_wire(message: Any, bytes_as: str = "binary") -> Any:
    """A plain dict without the fields left at None; bytes stay bytes (msgpack) or become base64 (`bytes_as="base64"`, JSON)."""
    if _dc.is_dataclass(message) and not isinstance(message, type):
        return {f.name: to_wire(getattr(message, f.name), bytes_as) for f in _dc.fields(message) if getattr(message, f.name) is not None}
    if isinstance(message, (list, tuple)):
        return [to_wire(v, bytes_as) for v in message]
    if isinstance(message, dict):
        return {k: to_wire(v, bytes_as) for k, v in message.items()}
    if isinstance(message, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(message)).decode("ascii") if bytes_as == "base64" else bytes(message)
    return message


def server_message(data: Dict[str, Any]) -> Optional[Any]:
    """The body of a decoded server message (`{"type": "record", ...}`) as its class; None for a type this schema does not know."""
    if not isinstance(data, dict):
        raise TypeError(f"server message: expected an object, got {type(data).__name__}")
    cls = SERVER_MESSAGES.get(data.get("type"))  # type: ignore[arg-type]
    return None if cls is None else from_wire(cls, data)


def client_message(message: Any, bytes_as: str = "binary") -> Dict[str, Any]:
    """A client message (Hello, Subscribe, EventMessage, ...) as the object msgpack and JSON carry: `type` plus its fields."""
    name = _CLIENT_TYPES.get(type(message))
    if name is None:
        raise TypeError(f"{type(message).__name__} is not a client message; expected one of {', '.join(c.__name__ for c in _CLIENT_TYPES)}")
    return {"type": name, **to_wire(message, bytes_as)}

