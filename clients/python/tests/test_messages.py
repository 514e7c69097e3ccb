"""The generated message module: every proto message is there, and (de)coding follows docs/protocol.md."""

from __future__ import annotations

import dataclasses
import json
import re
import unittest

from support import HAVE_MSGPACK, PROTO, client_body  # noqa: F401  (puts the package on the path)

from boldstream_client import codec, messages


class SchemaTest(unittest.TestCase):
    @unittest.skipUnless(PROTO.is_file(), "proto/boldstream.proto is not beside this package")
    def test_every_proto_message_is_a_dataclass_and_the_version_matches(self) -> None:
        text = PROTO.read_text(encoding="utf-8")
        declared = re.findall(r"^message (\w+) \{", text, flags=re.M)
        envelopes = {"ServerMessage", "ClientMessage"}
        for name in declared:
            if name in envelopes:
                continue
            cls = getattr(messages, name)
            self.assertTrue(dataclasses.is_dataclass(cls), name)
            self.assertIn(f"(boldstream.v1.{name})", cls.__doc__)
        current = re.search(r"PROTOCOL_VERSION_CURRENT = (\d+);", text)
        assert current is not None
        self.assertEqual(messages.PROTOCOL_VERSION, int(current.group(1)))
        # The envelopes' members, in the proto's order.
        server = re.search(r"message ServerMessage \{\s*oneof body \{(.*?)\}", text, flags=re.S)
        assert server is not None
        self.assertEqual(list(messages.SERVER_MESSAGES), re.findall(r"\w+ (\w+) = \d+;", server.group(1)))

    def test_envelope_tables(self) -> None:
        self.assertEqual(list(messages.SERVER_MESSAGES), ["welcome", "record", "status", "ack", "error", "frame"])
        self.assertEqual(list(messages.CLIENT_MESSAGES), ["hello", "subscribe", "unsubscribe", "start", "end", "volume", "event"])
        self.assertIs(messages.SERVER_MESSAGES["record"], messages.RecordMessage)
        self.assertIs(messages.CLIENT_MESSAGES["event"], messages.EventMessage)


RECORD = {
    "type": "record",
    "session": "run-01",
    "record": {
        "tr": 42,
        "acquisitionTime": 36084.5,
        "receivedAt": 1717400084512,
        "motion": {"trans_x": 0.12, "trans_y": -0.05, "trans_z": 0.31, "rot_x": 0.0021, "rot_y": -0.0004, "rot_z": 0, "matrix": [1, 0, 0, 0.12, 0, 1, 0, -0.05, 0, 0, 1, 0.31, 0, 0, 0, 1]},
        "framewise_displacement": 0.18,
        "roi": {"FFA": 0.83, "PPA": -1},
        "decoded": {"label": "face", "scores": {"face": 1.42, "house": -0.37}},
        "trial": {"index": 6, "onset": 72, "duration": 8, "n": 3, "label": "face", "scores": {"face": 2.9, "house": -1.1}, "truth": "face", "stim_file": "faces/f017.png"},
        "latencyMs": {"read": 1.2, "total": 9},
        "warnings": [{"code": "STATS_WARMING_UP", "message": "few volumes"}],
        "quality": {"similarity": 0.987, "iterations": 6, "converged": True, "nonfiniteVoxels": 0, "warmingUp": False},
        "futureField": {"a newer server": "may add this"},
    },
}


class FromWireTest(unittest.TestCase):
    def test_a_record_becomes_nested_dataclasses(self) -> None:
        message = messages.server_message(RECORD)
        self.assertIsInstance(message, messages.RecordMessage)
        assert isinstance(message, messages.RecordMessage) and message.record is not None
        record = message.record
        self.assertEqual(record.tr, 42)
        self.assertIsInstance(record.motion, messages.Motion)
        self.assertIsInstance(record.decoded, messages.Decoded)
        self.assertIsInstance(record.trial, messages.Trial)
        self.assertIsInstance(record.quality, messages.Quality)
        self.assertEqual(record.warnings, [messages.Warning(code="STATS_WARMING_UP", message="few volumes")])
        assert record.trial is not None and record.motion is not None
        self.assertEqual((record.trial.truth, record.trial.stim_file), ("face", "faces/f017.png"))
        self.assertIsNone(record.error)
        self.assertFalse(hasattr(record, "futureField"))

    def test_doubles_are_floats_even_when_the_wire_wrote_an_integer(self) -> None:
        message = messages.server_message(RECORD)
        assert isinstance(message, messages.RecordMessage) and message.record is not None
        record = message.record
        assert record.motion is not None and record.trial is not None
        self.assertIsInstance(record.receivedAt, float)
        self.assertIsInstance(record.roi["PPA"], float)
        self.assertIsInstance(record.latencyMs["total"], float)
        self.assertIsInstance(record.motion.rot_z, float)
        self.assertTrue(all(isinstance(v, float) for v in record.motion.matrix))
        self.assertIsInstance(record.trial.onset, float)
        self.assertIsInstance(record.tr, int)
        self.assertIs(record.quality and record.quality.converged, True)

    def test_null_counts_as_absent_and_defaults_fill_in(self) -> None:
        info = messages.from_wire(messages.SessionInfo, {"id": "a", "state": "running", "model": None, "records": None})
        self.assertEqual((info.model, info.records, info.masks), (None, 0, []))

    def test_an_error_record(self) -> None:
        message = messages.server_message({"type": "record", "session": "s", "record": {"tr": 43, "error": {"code": "VOLUME_MISSING", "message": "no volume"}}})
        assert isinstance(message, messages.RecordMessage) and message.record is not None
        self.assertEqual(message.record.error, messages.ErrorBody(code="VOLUME_MISSING", message="no volume"))
        self.assertEqual(message.record.roi, {})

    def test_bytes_come_binary_from_msgpack_and_base64_from_json(self) -> None:
        png = b"\x89PNG\r\n\x1a\nrest"
        binary = messages.server_message({"type": "frame", "session": "s", "trial": 1, "png": png, "width": 2, "height": 2})
        text = messages.server_message({"type": "frame", "session": "s", "trial": 1, "png": "iVBORw0KGgpyZXN0", "width": 2, "height": 2})
        self.assertEqual(binary, text)
        assert isinstance(text, messages.Frame)
        self.assertEqual(text.png, png)

    def test_unknown_message_types_are_left_to_the_caller(self) -> None:
        self.assertIsNone(messages.server_message({"type": "telemetry", "x": 1}))
        with self.assertRaises(TypeError):
            messages.server_message(["not", "an", "object"])  # type: ignore[arg-type]

    def test_welcome_with_sessions(self) -> None:
        welcome = messages.server_message({"type": "welcome", "protocol": 1, "server": "0.1.0", "backend": "cpu", "sessions": [{"id": "run-01", "state": "running", "source": {"kind": "replay", "speed": 1}, "records": 3, "masks": ["FFA"], "startedAt": 1717400000000}]})
        assert isinstance(welcome, messages.Welcome)
        self.assertEqual(welcome.sessions[0].source, messages.SourceSpec(kind="replay", speed=1.0))
        self.assertIsInstance(welcome.sessions[0].startedAt, float)


class ToWireTest(unittest.TestCase):
    def test_an_event_marker_as_the_protocol_writes_it(self) -> None:
        marker = messages.EventMessage(session="scan-01", event=messages.EventMarker(onset=72.0, duration=8.0, trial_type="face", stim_file="faces/f017.png"))
        self.assertEqual(messages.client_message(marker), {"type": "event", "session": "scan-01", "event": {"onset": 72.0, "duration": 8.0, "trial_type": "face", "stim_file": "faces/f017.png"}})

    def test_fields_left_at_none_are_left_out_required_ones_stay(self) -> None:
        self.assertEqual(messages.client_message(messages.Subscribe(session="*")), {"type": "subscribe", "session": "*"})
        self.assertEqual(messages.client_message(messages.EventMessage(session="s", event=messages.EventMarker())), {"type": "event", "session": "s", "event": {"duration": 0.0}})

    def test_bytes_binary_or_base64(self) -> None:
        push = messages.VolumePush(session="s", index=0, dims=[1, 1, 1], voxelSize=[1.0] * 3, affine=[1.0] * 16, dtype="float32", data=b"\x00\x00\x80\x3f")
        self.assertEqual(messages.client_message(push)["data"], b"\x00\x00\x80\x3f")
        self.assertEqual(messages.client_message(push, "base64")["data"], "AACAPw==")

    def test_only_client_messages_can_be_sent(self) -> None:
        with self.assertRaises(TypeError):
            messages.client_message(messages.Welcome())

    def test_a_start_round_trips(self) -> None:
        spec = messages.SessionSpec(id="scan-01", source=messages.SourceSpec(kind="replay", path="sub-01/bold.nii.gz", speed=10.0), masks=[messages.MaskSpec(name="FFA", nifti=b"\x1f\x8b")], featureModel="sim-px")
        start = messages.StartSession(spec=spec, ref="go")
        for bytes_as in ("binary", "base64"):
            body = json.loads(json.dumps(messages.client_message(start, "base64"))) if bytes_as == "base64" else messages.client_message(start)
            self.assertEqual(messages.from_wire(messages.StartSession, body), start)


class CodecTest(unittest.TestCase):
    def every_client_message(self) -> list:
        return [
            messages.Hello(protocol=messages.PROTOCOL_VERSION, client="test"),
            messages.Subscribe(session="run-01", fromTr=0),
            messages.Unsubscribe(session="run-01"),
            messages.StartSession(spec=messages.SessionSpec(source=messages.SourceSpec(kind="push"), repetitionTime=2.0), ref="r"),
            messages.EndSession(session="run-01"),
            messages.VolumePush(session="run-01", index=3, dims=[2, 1, 1], voxelSize=[3.0, 3.0, 3.0], affine=[1.0] * 16, dtype="int16", data=b"\x01\x00\x02\x00"),
            messages.EventMessage(session="run-01", event=messages.EventMarker(duration=2.0, trial_type="face", stim_file="f.png")),
        ]

    def check_round_trip(self, encoding: str) -> None:
        for message in self.every_client_message():
            frame = codec.encode(message, encoding)
            body = client_body(frame, encoding)
            self.assertEqual(messages.from_wire(type(message), body), message, body["type"])
            self.assertIs(messages.CLIENT_MESSAGES[body["type"]], type(message))

    def test_json_round_trip(self) -> None:
        self.check_round_trip("json")

    @unittest.skipUnless(HAVE_MSGPACK, "msgpack is not installed")
    def test_msgpack_round_trip(self) -> None:
        self.check_round_trip("msgpack")

    @unittest.skipUnless(HAVE_MSGPACK, "msgpack is not installed")
    def test_decoding_server_frames(self) -> None:
        import msgpack

        packed = msgpack.packb(RECORD, use_bin_type=True)
        self.assertEqual(codec.decode(packed, "msgpack"), codec.decode(json.dumps(RECORD), "json"))
        self.assertEqual(codec.decode(json.dumps(RECORD).encode("utf-8"), "json"), codec.decode(json.dumps(RECORD), "json"))
        with self.assertRaises(ValueError):
            codec.decode(json.dumps(RECORD), "msgpack")

    @unittest.skipUnless(HAVE_MSGPACK, "msgpack is not installed")
    def test_typed_arrays_from_msgpackr_are_bytes_and_lists(self) -> None:
        import struct

        import msgpack

        # What msgpackr (moreTypes) writes for a Uint8Array png and a Float64Array matrix: ext 0x74, a type byte, the bytes.
        png = b"\x89PNG\r\n\x1a\n"
        frame = msgpack.packb({"type": "frame", "session": "s", "trial": 2, "png": msgpack.ExtType(0x74, b"\x01" + png)}, use_bin_type=True)
        decoded = codec.decode(frame, "msgpack")
        assert isinstance(decoded, messages.Frame)
        self.assertEqual(decoded.png, png)
        matrix = [1.0, 0.0, 0.5, -2.25]
        record = {"type": "record", "session": "s", "record": {"tr": 1, "motion": {"matrix": msgpack.ExtType(0x74, b"\x08" + struct.pack("<4d", *matrix))}}}
        decoded = codec.decode(msgpack.packb(record, use_bin_type=True), "msgpack")
        assert isinstance(decoded, messages.RecordMessage) and decoded.record is not None and decoded.record.motion is not None
        self.assertEqual(decoded.record.motion.matrix, matrix)
        # Other extensions stay as they are.
        other = codec._ext_hook(0x05, b"xy")  # noqa: SLF001
        self.assertEqual((other.code, other.data), (5, b"xy"))

    def test_json_refuses_nan(self) -> None:
        with self.assertRaises(ValueError):
            codec.encode(messages.EventMessage(session="s", event=messages.EventMarker(onset=float("nan"))), "json")

    def test_message_type(self) -> None:
        self.assertEqual(codec.message_type(messages.Frame()), "frame")
        self.assertEqual(codec.message_type(messages.ErrorBody()), "error")


class UrlTest(unittest.TestCase):
    def test_urls(self) -> None:
        self.assertEqual(codec.ws_url("http://127.0.0.1:8080"), f"ws://127.0.0.1:8080/ws?encoding=msgpack&protocol={messages.PROTOCOL_VERSION}")
        self.assertEqual(codec.ws_url("https://scanner.example/boldstream/", "json", 1), "wss://scanner.example/boldstream/ws?encoding=json&protocol=1")
        self.assertEqual(codec.ws_url("ws://h:1/ws?x=1&protocol=9", "json", 2, token="a b&c"), "ws://h:1/ws?x=1&encoding=json&protocol=2&token=a+b%26c")
        self.assertEqual(codec.ws_url("127.0.0.1:8080", "json"), f"ws://127.0.0.1:8080/ws?encoding=json&protocol={messages.PROTOCOL_VERSION}")

    def test_bad_urls_and_encodings(self) -> None:
        with self.assertRaises(ValueError):
            codec.ws_url("ftp://h/")
        with self.assertRaisesRegex(ValueError, "msgpack, json"):
            codec.ws_url("http://h:1", "protobuf")


if __name__ == "__main__":
    unittest.main()
