# Generated from proto/boldstream.proto by scripts/gen-proto.ts. Do not edit; run `npm run proto:gen`.
"""The boldstream wire messages (proto/boldstream.proto) as dataclasses.

Field names are exactly the proto's. `from_wire` builds a message from a decoded msgpack or JSON
object (unknown fields are ignored: a newer server may add some), `to_wire` turns one back into a
plain dict without the fields left at None.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional, Type, TypeVar

PROTOCOL_VERSION = 1


@dataclass
class Motion:
    """(boldstream.v1.Motion)"""

    trans_x: float = 0.0  # mm, head motion from the reference to this volume, world (RAS+) axes
    trans_y: float = 0.0
    trans_z: float = 0.0
    rot_x: float = 0.0  # radians, about the reference field-of-view centre
    rot_y: float = 0.0
    rot_z: float = 0.0
    matrix: List[float] = field(default_factory=list)  # 16 numbers, a 4x4 row-major world-mm rigid transform mapping a position in this volume to the same tissue's position in the reference volume.


@dataclass
class Decoded:
    """(boldstream.v1.Decoded)"""

    label: str = ""  # the class with the highest score
    scores: Dict[str, float] = field(default_factory=dict)


@dataclass
class Trial:
    """(boldstream.v1.Trial)"""

    index: int = 0  # 0-based index of the trial in the session
    onset: float = 0.0  # s from the start of the run
    duration: float = 0.0  # s
    n: int = 0  # TRs accumulated so far
    label: str = ""  # decided label from the accumulated evidence
    scores: Dict[str, float] = field(default_factory=dict)
    truth: Optional[str] = None  # the event's own trial_type when the stimulus computer sent it
    stim_file: Optional[str] = None


@dataclass
class Warning:
    """(boldstream.v1.Warning)"""

    code: str = ""  # a code from the error catalogue (docs/errors.md)
    message: str = ""


@dataclass
class ErrorBody:
    """(boldstream.v1.ErrorBody)"""

    code: str = ""
    message: str = ""


@dataclass
class Quality:
    """(boldstream.v1.Quality)"""

    similarity: float = 0.0  # correlation with the reference after alignment
    iterations: int = 0  # registration iterations
    converged: bool = False
    nonfiniteVoxels: int = 0  # NaN/Inf voxels excluded from this volume
    warmingUp: bool = False  # too few volumes yet for stable z-scores


@dataclass
class TrRecord:
    """(boldstream.v1.TrRecord)"""

    tr: int = 0  # 0-based index of the volume in the run; never renumbered by gaps or duplicates
    acquisitionTime: Optional[float] = None  # s, scanner clock (seconds since midnight for DICOM)
    receivedAt: Optional[float] = None  # Unix epoch ms, server clock, when the volume was complete (absent for a TR that never came)
    motion: Optional[Motion] = None
    framewise_displacement: Optional[float] = None  # mm (Power et al. 2012)
    roi: Dict[str, float] = field(default_factory=dict)  # mask name → mean z-score in the mask
    decoded: Optional[Decoded] = None
    trial: Optional[Trial] = None
    latencyMs: Dict[str, float] = field(default_factory=dict)  # per stage, and `total` from arrival to record
    warnings: List[Warning] = field(default_factory=list)
    quality: Optional[Quality] = None
    error: Optional[ErrorBody] = None  # Set instead of the fields above when the volume could not be used; the stream goes on.


@dataclass
class SourceSpec:
    """(boldstream.v1.SourceSpec)"""

    kind: str = ""  # replay | watch | push | recording
    path: Optional[str] = None  # replay/watch/recording: a file or folder inside the data folders
    speed: Optional[float] = None  # replay pace as a multiple of the TR; 0 means as fast as possible
    seriesNumber: Optional[int] = None  # watch: which DICOM series to take (default: the first new one)


@dataclass
class MaskSpec:
    """(boldstream.v1.MaskSpec)"""

    name: str = ""
    path: Optional[str] = None  # a NIfTI inside the data folders...
    nifti: Optional[bytes] = None  # ...or the NIfTI file itself


@dataclass
class EventMarker:
    """(boldstream.v1.EventMarker)"""

    onset: Optional[float] = None  # s from the start of the run; absent: now, on the run clock
    duration: float = 0.0  # s
    trial_type: Optional[str] = None
    stim_file: Optional[str] = None


@dataclass
class SessionSpec:
    """(boldstream.v1.SessionSpec)"""

    id: Optional[str] = None  # absent: the server makes one
    source: Optional[SourceSpec] = None
    masks: List[MaskSpec] = field(default_factory=list)
    model: Optional[str] = None  # name of a classifier bundle on the server
    events: List[EventMarker] = field(default_factory=list)  # a known schedule (replay with --events)
    dummyScans: Optional[int] = None
    repetitionTime: Optional[float] = None  # s; overrides the header
    featureModel: Optional[str] = None  # name of a feature-decoder bundle: reconstructions are made per trial


@dataclass
class SessionInfo:
    """(boldstream.v1.SessionInfo)"""

    id: str = ""
    state: str = ""  # starting | running | ended | failed
    source: Optional[SourceSpec] = None
    records: int = 0  # records emitted so far
    model: Optional[str] = None
    masks: List[str] = field(default_factory=list)
    startedAt: float = 0.0  # Unix epoch ms
    endedAt: Optional[float] = None
    error: Optional[ErrorBody] = None
    repetitionTime: Optional[float] = None
    paused: Optional[bool] = None  # Replays: true while paused (POST /sessions/:id/pause); source.speed is the pace in force.


@dataclass
class SpeedChange:
    """POST /sessions/:id/speed: a replay's new pace, a multiple of the scanner's; 0 = as fast as possible. (boldstream.v1.SpeedChange)"""

    speed: float = 0.0


@dataclass
class Welcome:
    """(boldstream.v1.Welcome)"""

    protocol: int = 0
    server: str = ""  # server version
    backend: str = ""  # compute backend in use
    sessions: List[SessionInfo] = field(default_factory=list)


@dataclass
class RecordMessage:
    """(boldstream.v1.RecordMessage)"""

    session: str = ""
    record: Optional[TrRecord] = None


@dataclass
class StatusMessage:
    """(boldstream.v1.StatusMessage)"""

    session: Optional[SessionInfo] = None
    detail: Optional[str] = None  # e.g. "stalled", "behind"


@dataclass
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


@dataclass
class AckMessage:
    """(boldstream.v1.AckMessage)"""

    ref: str = ""  # what is acknowledged (the client's `ref`, or the message type)
    session: Optional[str] = None
    tr: Optional[int] = None


@dataclass
class Hello:
    """(boldstream.v1.Hello)"""

    protocol: int = 0
    client: Optional[str] = None  # free text, e.g. "boldstream-python/0.1"


@dataclass
class Subscribe:
    """(boldstream.v1.Subscribe)"""

    session: str = ""  # "*" for every session
    fromTr: Optional[int] = None  # catch up from this TR out of the recording


@dataclass
class Unsubscribe:
    """(boldstream.v1.Unsubscribe)"""

    session: str = ""


@dataclass
class StartSession:
    """(boldstream.v1.StartSession)"""

    spec: Optional[SessionSpec] = None
    ref: Optional[str] = None


@dataclass
class EndSession:
    """(boldstream.v1.EndSession)"""

    session: str = ""


@dataclass
class VolumePush:
    """One volume pushed by a scanner-side client into a push session. (boldstream.v1.VolumePush)"""

    session: str = ""
    index: int = 0  # 0-based volume index in the run, from the scanner
    dims: List[int] = field(default_factory=list)  # 3 numbers
    voxelSize: List[float] = field(default_factory=list)  # 3 numbers, mm
    affine: List[float] = field(default_factory=list)  # 16 numbers, row-major voxel → world RAS+ mm
    dtype: str = ""  # float32 | int16 | uint16 (little-endian)
    data: bytes = b""
    acquisitionTime: Optional[float] = None
    repetitionTime: Optional[float] = None
    warnings: List[Warning] = field(default_factory=list)  # What the client's reader noticed about this volume (codes from the catalogue); they go into the record.


@dataclass
class EventMessage:
    """(boldstream.v1.EventMessage)"""

    session: str = ""
    event: Optional[EventMarker] = None


# Message and bytes fields of each message: how from_wire and to_wire treat them.
_WIRE: Dict[str, Dict[str, Any]] = {
    "Motion": {},
    "Decoded": {},
    "Trial": {},
    "Warning": {},
    "ErrorBody": {},
    "Quality": {},
    "TrRecord": {"motion": ("message", "Motion"), "decoded": ("message", "Decoded"), "trial": ("message", "Trial"), "warnings": ("list", "Warning"), "quality": ("message", "Quality"), "error": ("message", "ErrorBody")},
    "SourceSpec": {},
    "MaskSpec": {"nifti": ("bytes", "bytes")},
    "EventMarker": {},
    "SessionSpec": {"source": ("message", "SourceSpec"), "masks": ("list", "MaskSpec"), "events": ("list", "EventMarker")},
    "SessionInfo": {"source": ("message", "SourceSpec"), "error": ("message", "ErrorBody")},
    "SpeedChange": {},
    "Welcome": {"sessions": ("list", "SessionInfo")},
    "RecordMessage": {"record": ("message", "TrRecord")},
    "StatusMessage": {"session": ("message", "SessionInfo")},
    "Frame": {"png": ("bytes", "bytes")},
    "AckMessage": {},
    "Hello": {},
    "Subscribe": {},
    "Unsubscribe": {},
    "StartSession": {"spec": ("message", "SessionSpec")},
    "EndSession": {},
    "VolumePush": {"data": ("bytes", "bytes"), "warnings": ("list", "Warning")},
    "EventMessage": {"event": ("message", "EventMarker")},
}

# ServerMessage: the `type` of a msgpack or JSON message and the class of its body.
SERVER_MESSAGES: Dict[str, type] = {"welcome": Welcome, "record": RecordMessage, "status": StatusMessage, "ack": AckMessage, "error": ErrorBody, "frame": Frame}

# ClientMessage: the `type` of a msgpack or JSON message and the class of its body.
CLIENT_MESSAGES: Dict[str, type] = {"hello": Hello, "subscribe": Subscribe, "unsubscribe": Unsubscribe, "start": StartSession, "end": EndSession, "volume": VolumePush, "event": EventMessage}


_CLASSES: Dict[str, type] = {name: globals()[name] for name in _WIRE}
T = TypeVar("T")


def _value(kind: str, type_name: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bytes":
        return base64.b64decode(value) if isinstance(value, str) else bytes(value)
    cls = _CLASSES[type_name]
    if kind == "list":
        return [from_wire(cls, v) for v in value]
    if kind == "map":
        return {k: from_wire(cls, v) for k, v in value.items()}
    return from_wire(cls, value)


def from_wire(cls: Type[T], data: Dict[str, Any]) -> T:
    """A message of class `cls` from a decoded msgpack or JSON object; unknown fields are left out."""
    special = _WIRE[cls.__name__]
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {}
    for key, value in data.items():
        if key not in known:
            continue
        values[key] = _value(*special[key], value) if key in special else value
    return cls(**values)


def to_wire(message: Any) -> Any:
    """A plain dict (msgpack-ready: bytes stay bytes) without the fields left at None."""
    if hasattr(message, "__dataclass_fields__"):
        return {f.name: to_wire(getattr(message, f.name)) for f in fields(message) if getattr(message, f.name) is not None}
    if isinstance(message, list):
        return [to_wire(v) for v in message]
    if isinstance(message, dict):
        return {k: to_wire(v) for k, v in message.items()}
    return message

