"""boldstream_client: the stimulus computer's client for a boldstream server (docs/protocol.md).

    from boldstream_client import BoldstreamClient

    with BoldstreamClient("http://127.0.0.1:8080") as client:     # msgpack; encoding="json" on request
        client.subscribe("run-01")
        client.event("run-01", trial_type="face", stim_file="faces/f017.png")
        feedback = client.feedback(timeout=1.0)                    # the latest TR; TimeoutError if none came
        print(feedback.tr, feedback.value, feedback.label)

The wire messages are the dataclasses of ``boldstream_client.messages``, generated from
proto/boldstream.proto.
"""

from . import messages
from .client import (
    CLIENT_NAME,
    BoldstreamClient,
    BoldstreamError,
    ConnectionClosedError,
    Feedback,
    ProtocolVersionError,
    __version__,
    connect,
)
from .messages import PROTOCOL_VERSION

__all__ = [
    "CLIENT_NAME",
    "PROTOCOL_VERSION",
    "BoldstreamClient",
    "BoldstreamError",
    "ConnectionClosedError",
    "Feedback",
    "ProtocolVersionError",
    "__version__",
    "connect",
    "messages",
]
