"""The client against a fake server: connecting, the version refusal, acknowledgements, feedback."""

from __future__ import annotations

import threading
import time
import unittest

from support import HAVE_MSGPACK, FakeServer

from boldstream_client import BoldstreamClient, BoldstreamError, ConnectionClosedError, ProtocolVersionError, messages

ENCODINGS = ("msgpack", "json") if HAVE_MSGPACK else ("json",)


def connect(server: FakeServer, **options: object) -> BoldstreamClient:
    return BoldstreamClient("http://127.0.0.1:8080", encoding=server.encoding, transport_factory=server, **options)  # type: ignore[arg-type]


class ConnectTest(unittest.TestCase):
    def test_states_the_protocol_in_the_url_and_in_hello(self) -> None:
        for encoding in ENCODINGS:
            server = FakeServer(encoding)
            with connect(server) as client:
                self.assertEqual(client.welcome and client.welcome.protocol, messages.PROTOCOL_VERSION)
                self.assertIn(f"encoding={encoding}&protocol={messages.PROTOCOL_VERSION}", server.url)
                self.assertEqual(server.sent[0]["type"], "hello")
                self.assertEqual(server.sent[0]["protocol"], messages.PROTOCOL_VERSION)
                self.assertTrue(server.sent[0]["client"].startswith("boldstream-python/"))
            self.assertTrue(server.closed_by_client)

    def test_token_as_header_query_or_both(self) -> None:
        for via, header, query in (("header", True, False), ("query", False, True), ("both", True, True)):
            server = FakeServer("json")
            connect(server, token="s3cret", token_via=via).close()
            self.assertEqual(server.headers.get("Authorization") == "Bearer s3cret", header, via)
            self.assertEqual("token=s3cret" in server.url, query, via)
        server = FakeServer("json")
        connect(server).close()
        self.assertEqual((server.headers, "token" in server.url), ({}, False))
        with self.assertRaises(ValueError):
            connect(FakeServer("json"), token="t", token_via="cookie")

    def test_a_refusal_for_another_protocol_is_a_protocol_version_error(self) -> None:
        for stated in (0, 2):
            refusal = messages.ErrorBody(code="PROTOCOL_VERSION", message=f"client speaks protocol {stated}; this server speaks protocol 1")
            server = FakeServer("json", refuse=refusal)
            with self.assertRaises(ProtocolVersionError) as caught:
                connect(server, protocol=stated)
            self.assertEqual(caught.exception.close_code, 4426)
            self.assertEqual(caught.exception.code, "PROTOCOL_VERSION")
            self.assertIn(f"client speaks protocol {stated}; this server speaks protocol 1", str(caught.exception))
            self.assertIn(f"protocol={stated}", server.url)

    def test_a_server_of_another_major_is_refused_by_the_client(self) -> None:
        server = FakeServer("json", welcome_protocol=messages.PROTOCOL_VERSION + 1)
        with self.assertRaisesRegex(ProtocolVersionError, f"server speaks protocol {messages.PROTOCOL_VERSION + 1}"):
            connect(server)
        self.assertTrue(server.closed_by_client)

    def test_an_unreachable_server_is_a_connection_error(self) -> None:
        def refuse(*_: object) -> None:
            raise ConnectionRefusedError(111, "Connection refused")

        with self.assertRaisesRegex(ConnectionError, "cannot connect to ws://127.0.0.1:8080/ws"):
            BoldstreamClient("http://127.0.0.1:8080", encoding="json", transport_factory=refuse)  # type: ignore[arg-type]

    def test_no_welcome_times_out(self) -> None:
        class Silent(FakeServer):
            def push(self, message: object) -> None:
                pass

        started = time.monotonic()
        with self.assertRaisesRegex(TimeoutError, "welcome"):
            connect(Silent("json"), timeout=0.2)
        self.assertLess(time.monotonic() - started, 2)


class MessagesTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = FakeServer(ENCODINGS[0])
        self.client = connect(self.server)
        self.addCleanup(self.client.close)

    def test_subscribe_start_event_end_are_sent_and_acknowledged(self) -> None:
        self.client.subscribe("run-01", from_tr=5)
        self.assertEqual(self.client.start({"id": "run-01", "source": {"kind": "replay", "path": "r.nii.gz", "speed": 10}}), "run-01")
        self.client.event("run-01", "face", "faces/f017.png", onset=12, duration=3)
        self.client.event("run-01", trial_type="house", wait=False)
        self.client.end("run-01")
        sent = self.server.sent[1:]
        self.assertEqual([m["type"] for m in sent], ["subscribe", "start", "event", "event", "end"])
        self.assertEqual(sent[0], {"type": "subscribe", "session": "run-01", "fromTr": 5})
        self.assertEqual(sent[1]["spec"]["source"], {"kind": "replay", "path": "r.nii.gz", "speed": 10.0})
        self.assertEqual(sent[2], {"type": "event", "session": "run-01", "event": {"onset": 12.0, "duration": 3.0, "trial_type": "face", "stim_file": "faces/f017.png"}})
        self.assertEqual(sent[3]["event"], {"duration": 0.0, "trial_type": "house"})

    def test_a_marker_must_be_finite(self) -> None:
        with self.assertRaises(ValueError):
            self.client.event("run-01", "face", onset=float("nan"))

    def test_an_unacknowledged_message_times_out(self) -> None:
        self.server.auto_ack = False
        with self.assertRaisesRegex(TimeoutError, "acknowledgement of subscribe"):
            self.client.timeout = 0.1
            self.client.subscribe("run-01")

    def test_the_server_error_before_a_close_is_raised_by_what_waits(self) -> None:
        self.server.auto_ack = False

        def refuse() -> None:
            time.sleep(0.05)
            self.server.push(messages.ErrorBody(code="SESSION_NOT_FOUND", message="no session ghost"))
            self.server.close_from_server(4404, "SESSION_NOT_FOUND: no session ghost")

        threading.Thread(target=refuse).start()
        with self.assertRaises(BoldstreamError) as caught:
            self.client.end("ghost")
        self.assertEqual((caught.exception.code, caught.exception.close_code), ("SESSION_NOT_FOUND", 4404))
        self.assertTrue(self.client.closed)
        with self.assertRaises(BoldstreamError):
            self.client.subscribe("x")

    def test_records_and_frames_in_order(self) -> None:
        for tr in range(3):
            self.server.record(tr)
        self.server.push(messages.Frame(session="run-01", trial=0, tr=2, png=b"\x89PNG\r\n\x1a\n", width=1, height=1, space="pixels-16"))
        self.assertEqual([self.client.next_record(0).record.tr for _ in range(3)], [0, 1, 2])  # type: ignore[union-attr]
        frame = self.client.next_frame(0)
        self.assertEqual(frame.png[:8], b"\x89PNG\r\n\x1a\n")
        with self.assertRaises(TimeoutError):
            self.client.next_record(0.05)

    def test_next_record_of_one_session(self) -> None:
        self.server.record(0, session="a")
        self.server.record(0, session="b")
        self.assertEqual(self.client.next_record(0, session="b").session, "b")
        self.assertEqual([m.session for m in self.client.pending_records()], ["a"])

    def test_unread_records_beyond_the_limit_are_dropped_oldest_first(self) -> None:
        client = connect(FakeServer(ENCODINGS[0]), keep_records=2)
        self.addCleanup(client.close)
        server = client._transport  # type: ignore[attr-defined]
        for tr in range(5):
            server.record(tr)
        self.assertEqual([m.record.tr for m in client.pending_records()], [3, 4])  # type: ignore[union-attr]
        self.assertEqual(client.dropped_records, 3)

    def test_status_updates_the_sessions(self) -> None:
        self.server.push(messages.StatusMessage(session=messages.SessionInfo(id="run-01", state="ended", records=10), detail="stopped"))
        self.assertEqual(self.client.wait_session("run-01", timeout=0).records, 10)
        self.assertEqual(self.client.next_status(0).detail, "stopped")

    def test_a_closed_connection_ends_the_waits(self) -> None:
        threading.Timer(0.05, lambda: self.server.close_from_server(1001, "server shutting down")).start()
        with self.assertRaises(ConnectionClosedError) as caught:
            self.client.next_record(5)
        self.assertEqual(caught.exception.close_code, 1001)


class FeedbackTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = FakeServer(ENCODINGS[0])
        self.client = connect(self.server)
        self.addCleanup(self.client.close)

    def test_times_out_without_a_record(self) -> None:
        started = time.monotonic()
        with self.assertRaisesRegex(TimeoutError, "no new record within 0.1 s"):
            self.client.feedback(timeout=0.1)
        self.assertGreaterEqual(time.monotonic() - started, 0.09)

    def test_the_latest_tr_once(self) -> None:
        for tr in range(3):
            self.server.record(tr, decoded=messages.Decoded(label="face", scores={"face": 1.5, "house": -0.5}))
        feedback = self.client.feedback(timeout=0)
        self.assertEqual((feedback.session, feedback.tr, feedback.roi, feedback.label), ("run-01", 2, "amygdala", "face"))
        self.assertAlmostEqual(feedback.value or 0, 0.2)
        self.assertEqual(feedback.scores, {"face": 1.5, "house": -0.5})
        # Already given: the next call waits for a newer TR...
        with self.assertRaisesRegex(TimeoutError, "the latest was TR 2 of run-01"):
            self.client.feedback(timeout=0.05)
        # ...unless the newest is enough.
        self.assertEqual(self.client.feedback(timeout=0, newer=False).tr, 2)
        # The records themselves stay readable in order.
        self.assertEqual(len(self.client.pending_records()), 3)

    def test_waits_for_the_next_tr(self) -> None:
        self.server.record(0)
        self.client.feedback(timeout=0)
        threading.Timer(0.1, lambda: self.server.record(1)).start()
        self.assertEqual(self.client.feedback(timeout=5).tr, 1)

    def test_a_named_roi_and_a_missing_one(self) -> None:
        self.server.record(4)
        self.assertAlmostEqual(self.client.feedback(timeout=0, roi="ffa", newer=False).value or 0, -0.4)
        with self.assertRaisesRegex(KeyError, "has no ROI 'amgdala'.*amygdala, ffa"):
            self.client.feedback(timeout=0, roi="amgdala", newer=False)

    def test_error_records_carry_no_feedback(self) -> None:
        self.server.record(0)
        self.server.push(messages.RecordMessage(session="run-01", record=messages.TrRecord(tr=1, error=messages.ErrorBody(code="VOLUME_MISSING", message="gone"))))
        self.assertEqual(self.client.feedback(timeout=0).tr, 0)

    def test_of_one_session(self) -> None:
        self.server.record(7, session="a")
        self.server.record(3, session="b")
        self.assertEqual(self.client.feedback(timeout=0, session="a").tr, 7)
        self.assertEqual(self.client.feedback(timeout=0).tr, 3)

    def test_warming_up_and_no_roi(self) -> None:
        self.server.record(0, roi={}, quality=messages.Quality(warmingUp=True))
        feedback = self.client.feedback(timeout=0)
        self.assertEqual((feedback.value, feedback.roi, feedback.label, feedback.warming_up), (None, None, None, True))


if __name__ == "__main__":
    unittest.main()
