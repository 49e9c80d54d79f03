"""A relay's firehose, ``com.atproto.sync.subscribeRepos``, beside the simulator's Jetstream.

Frames follow atproto.com/specs/event-stream and the lexicon com.atproto.sync.subscribeRepos:
binary WebSocket messages, each a DAG-CBOR header (``{"op": 1, "t": "#commit"}``, or
``{"op": -1}`` for an error) followed by a DAG-CBOR body. A ``#commit`` body has ``seq``,
``rebase``, ``tooBig``, ``repo``, ``commit`` (a CID link), ``rev``, ``since``, ``blocks``,
``ops`` (``{action, path, cid}``), ``blobs`` and ``time``; ``blocks`` is a CAR v1 file (a
varint-prefixed DAG-CBOR header ``{version: 1, roots: [commit]}``, then each block as a varint
length, its CID and its bytes) holding the commit object and the records created or updated.
CIDs are real: CIDv1, dag-cbor codec, sha2-256 of the block. The commit is not signed and its
``data`` names the record rather than a Merkle tree root: fanlens reads neither.

Every event the Jetstream simulator streams (`Jetstream.publish`, so ``POST
/_sim/jetstream/emit`` too) is also sent here as the frame a relay would send, numbered by
``seq``. ``cursor=N`` replays the kept frames after N, then goes live; a cursor older than the
oldest kept frame is answered by ``#info`` ``OutdatedCursor`` before the replay from the oldest
(`trim` drops old frames, as a relay's window ends), and a cursor ahead of the last seq by the
error ``FutureCursor``, after which the server closes.

Control: ``POST /_sim/firehose/frame`` with a frame's bytes as the body streams it as given
(frames encoded elsewhere, e.g. recorded from a real PDS); its ``seq`` must follow the last.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any

import libipld
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from fanlens.simulators.websocket import send_queued

PATH = "/xrpc/com.atproto.sync.subscribeRepos"
DAG_CBOR = 0x71
SHA2_256 = 0x12


def cid_of(block: bytes) -> bytes:
    """The binary CIDv1 of a DAG-CBOR block (version, codec, multihash sha2-256)."""
    return bytes([1, DAG_CBOR, SHA2_256, 32]) + hashlib.sha256(block).digest()


def varint(value: int) -> bytes:
    """An unsigned LEB128 varint, as CAR v1 prefixes its sections."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def car(root: bytes, blocks: list[tuple[bytes, bytes]]) -> bytes:
    """A CAR v1 file: the header naming `root`, then each (cid, block)."""
    # libipld encodes bytes that hold a CID as a DAG-CBOR link (tag 42).
    header = libipld.encode_dag_cbor({"version": 1, "roots": [root]})
    parts = [varint(len(header)), header]
    for cid, block in blocks:
        parts += [varint(len(cid) + len(block)), cid, block]
    return b"".join(parts)


def frame(kind: str, body: dict[str, Any]) -> bytes:
    return libipld.encode_dag_cbor({"op": 1, "t": kind}) + libipld.encode_dag_cbor(body)


def error_frame(error: str, message: str) -> bytes:
    return libipld.encode_dag_cbor({"op": -1}) + libipld.encode_dag_cbor(
        {"error": error, "message": message}
    )


def commit_body(event: dict[str, Any], seq: int, time: str) -> dict[str, Any]:
    """The ``#commit`` body of a Jetstream-shaped commit event (one op)."""
    commit = event["commit"]
    path = f"{commit['collection']}/{commit['rkey']}"
    blocks: list[tuple[bytes, bytes]] = []
    record_cid = None
    if commit["operation"] in ("create", "update"):
        record = libipld.encode_dag_cbor(commit["record"])
        record_cid = cid_of(record)
        blocks.append((record_cid, record))
    rev = str(commit.get("rev") or seq)
    repo_commit = libipld.encode_dag_cbor(
        {"did": event["did"], "version": 3, "data": record_cid or cid_of(path.encode()),
         "rev": rev, "prev": None, "sig": bytes(64)}
    )  # fmt: skip
    root = cid_of(repo_commit)
    ops = [{"action": commit["operation"], "path": path, "cid": record_cid}]
    return {
        "seq": seq, "rebase": False, "tooBig": False, "repo": event["did"], "commit": root,
        "rev": rev, "since": None, "blocks": car(root, [(root, repo_commit), *blocks]),
        "ops": ops, "blobs": [], "time": time,
    }  # fmt: skip


class Firehose:
    def __init__(self) -> None:
        self.frames: list[tuple[int, bytes]] = []  # (seq, frame) kept, oldest first
        self.seq = 0  # the last seq sent
        self.subscribers: list[asyncio.Queue[bytes]] = []

    def routes(self) -> list[BaseRoute]:
        return [
            WebSocketRoute(PATH, self.subscribe),
            Route("/_sim/firehose/frame", self.frame_endpoint, methods=["POST"]),
        ]

    async def frame_endpoint(self, request: Request) -> Response:
        """Stream one frame encoded elsewhere (the request body, as given), under its ``seq``."""
        data = await request.body()
        try:
            header, body = libipld.decode_dag_cbor_multi(data)
            seq, kind = int(body["seq"]), str(header["t"])
        except (ValueError, TypeError, KeyError) as exc:
            return JSONResponse({"error": f"not a frame with a seq: {exc}"}, status_code=400)
        if seq <= self.seq:
            return JSONResponse({"error": f"seq {seq} is not after {self.seq}"}, status_code=400)
        self.send(seq, data)
        return JSONResponse({"seq": seq, "type": kind})

    def publish(self, event: dict[str, Any]) -> int | None:
        """Send a Jetstream-shaped event as its firehose frame; its seq (None: no frame)."""
        time = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        kind = event.get("kind")
        if kind == "commit":
            body = commit_body(event, self.seq + 1, time)
        elif kind in ("identity", "account"):
            body = {"seq": self.seq + 1, "did": event["did"], "time": time}
            if kind == "account":
                body["active"] = True
        else:
            return None
        self.send(self.seq + 1, frame(f"#{kind}", body))
        return self.seq

    def send(self, seq: int, data: bytes) -> None:
        """Stream an encoded frame as given (tests bring frames encoded elsewhere)."""
        self.seq = seq
        self.frames.append((seq, data))
        for queue in self.subscribers:
            queue.put_nowait(data)

    def trim(self, keep: int) -> None:
        """Keep only the newest `keep` frames, as a relay's replay window ends."""
        del self.frames[: max(0, len(self.frames) - keep)]

    async def subscribe(self, websocket: WebSocket) -> None:
        await websocket.accept()
        raw = websocket.query_params.get("cursor")
        if raw is not None and not raw.isdigit():
            await websocket.send_bytes(error_frame("InvalidRequest", "cursor must be an integer"))
            await websocket.close()
            return
        cursor = int(raw) if raw is not None else None
        if cursor is not None and cursor > self.seq:
            await websocket.send_bytes(error_frame("FutureCursor", "Cursor in the future."))
            await websocket.close()
            return
        # Replay and registration happen without an await between them: no frame is missed
        # or sent twice at the hand-over from replay to live.
        backlog = [data for seq, data in self.frames if cursor is not None and seq > cursor]
        outdated = cursor is not None and bool(self.frames) and cursor < self.frames[0][0] - 1
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.subscribers.append(queue)
        try:
            if outdated:
                info = {"name": "OutdatedCursor", "message": "Requested cursor exceeded limit."}
                await websocket.send_bytes(frame("#info", info))
            for data in backlog:
                await websocket.send_bytes(data)
            await send_queued(websocket, queue, websocket.send_bytes)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the client left, or the server is shutting down
        finally:
            self.subscribers.remove(queue)
