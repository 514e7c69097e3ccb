"""A stimulus computer against a real server: run by test/integration/python-client.test.ts (not a unittest).

    python3 live_replay.py '<json: url, session, run, mask, featureModel, speed, stopTr, events>'

Checks the version refusal (protocol 0 and 2, in the URL and in hello), then starts a replay with a
feature model, subscribes to it, sends the run's trial markers, reads records, frames and feedback,
catches up from TR 0 on a second (JSON) connection, ends the session, and prints what it saw as one
JSON object for the test to check against the server's own recording.
"""

from __future__ import annotations

import base64
import json
import sys
import time

import support  # noqa: F401  (the package from the source tree when it is not installed)

from boldstream_client import BoldstreamClient, ProtocolVersionError, messages

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def refusals(url: str) -> list:
    seen = []
    for encoding in ("msgpack", "json"):
        for stated in (0, 2):
            try:
                BoldstreamClient(url, encoding=encoding, protocol=stated, timeout=5).close()
                seen.append({"where": "url", "encoding": encoding, "stated": stated, "refused": False})
            except ProtocolVersionError as error:
                seen.append({"where": "url", "encoding": encoding, "stated": stated, "refused": True, "code": error.code, "close": error.close_code, "message": error.message})
    # The URL states the right version; the hello does not.
    for stated in (0, 2):
        client = BoldstreamClient(url, encoding="json", hello=False, timeout=5)
        try:
            client._request(messages.Hello(protocol=stated, client="live_replay"), "hello")  # noqa: SLF001
            seen.append({"where": "hello", "stated": stated, "refused": False})
        except ProtocolVersionError as error:
            seen.append({"where": "hello", "stated": stated, "refused": True, "code": error.code, "close": error.close_code, "message": error.message})
        finally:
            client.close()
    return seen


def main() -> None:
    args = json.loads(sys.argv[1])
    url, session = args["url"], args["session"]
    out: dict = {"refusals": refusals(url), "records": [], "feedback": [], "frames": [], "catchUp": []}
    started = time.monotonic()

    with BoldstreamClient(url, token="test-token", token_via="both") as client:
        assert client.welcome is not None
        out["welcome"] = {"protocol": client.welcome.protocol, "server": client.welcome.server}
        client.subscribe(session)
        spec = messages.SessionSpec(
            id=session,
            source=messages.SourceSpec(kind="replay", path=args["run"], speed=float(args["speed"])),
            masks=[messages.MaskSpec(name="visual", path=args["mask"])],
            featureModel=args["featureModel"],
        )
        out["started"] = client.start(spec)
        for event in args["events"]:
            client.event(session, event["trial_type"], event["stim_file"], onset=event["onset"], duration=event["duration"])
        out["markers"] = len(args["events"])

        catch_up = None
        while True:
            message = client.next_record(timeout=15, session=session)
            record = message.record
            assert record is not None
            out["records"].append({"tr": record.tr, "visual": record.roi.get("visual"), "error": record.error.code if record.error else None})
            if record.tr % 5 == 4:
                feedback = client.feedback(timeout=2.0, roi="visual", session=session)
                out["feedback"].append({"tr": feedback.tr, "value": feedback.value, "roi": feedback.roi, "warmingUp": feedback.warming_up})
            while True:
                try:
                    frame = client.next_frame(timeout=0)
                except TimeoutError:
                    break
                out["frames"].append({
                    "session": frame.session, "trial": frame.trial, "tr": frame.tr, "iteration": frame.iteration,
                    "width": frame.width, "height": frame.height, "space": frame.space, "stim_file": frame.stim_file,
                    "signature": frame.png[:8] == PNG_SIGNATURE, "bytes": len(frame.png),
                    # The first few in full, for the test to decode.
                    "png": base64.b64encode(frame.png).decode("ascii") if len(out["frames"]) < 5 else None,
                })
            if record.tr == 20 and catch_up is None:
                # A second computer joins late and catches up from TR 0, in JSON.
                catch_up = BoldstreamClient(url, encoding="json", token="test-token")
                catch_up.subscribe(session, from_tr=0)
            if record.tr >= args["stopTr"] and out["frames"]:
                break

        assert catch_up is not None
        last = out["records"][-1]["tr"]
        while not out["catchUp"] or out["catchUp"][-1] < last:
            out["catchUp"].append(catch_up.next_record(timeout=10, session=session).record.tr)  # type: ignore[union-attr]
        catch_up.close()

        client.end(session, timeout=30)
        for message in client.pending_records():
            record = message.record
            assert record is not None
            out["records"].append({"tr": record.tr, "visual": record.roi.get("visual"), "error": record.error.code if record.error else None})
        # The newest TR at once; it counts as given, so asking for a newer one now times out.
        newest = client.feedback(timeout=0, roi="visual", newer=False)
        out["newest"] = {"tr": newest.tr, "value": newest.value}
        asked = time.monotonic()
        try:
            client.feedback(timeout=0.5)
            out["timeout"] = {"raised": False}
        except TimeoutError as error:
            out["timeout"] = {"raised": True, "elapsed": time.monotonic() - asked, "message": str(error)}
        out["info"] = messages.to_wire(client.wait_session(session, timeout=10))
    out["seconds"] = time.monotonic() - started
    print(json.dumps(out))


if __name__ == "__main__":
    main()
