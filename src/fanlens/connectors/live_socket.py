"""The WebSocket side of a live source: open the socket, read a frame within a timeout.

Every way the socket fails (refused, reset, closed, never answering the handshake) is a
`Disconnected`, which the runner answers by connecting again.
"""

from __future__ import annotations

from contextlib import ExitStack

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from fanlens.connectors.live import Disconnected, LiveConnection

OPEN_TIMEOUT = 10.0  # seconds for the handshake


def open_socket(
    url: str, *, max_size: int, headers: dict[str, str] | None = None
) -> ClientConnection:
    try:
        return connect(
            url, additional_headers=headers, open_timeout=OPEN_TIMEOUT, max_size=max_size
        )
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
        raise Disconnected(f"{type(exc).__name__}: {exc}") from exc


class SocketConnection(LiveConnection):
    """A live connection over one WebSocket; a subclass turns its frames into events."""

    def __init__(self, socket: ClientConnection) -> None:
        # Entered as a context manager, as websockets asks: closed with the connection.
        self.stack = ExitStack()
        self.socket = self.stack.enter_context(socket)

    def receive(self, timeout: float) -> str | bytes | None:
        """The next frame, or None when none came within `timeout` seconds."""
        try:
            return self.socket.recv(timeout=timeout)
        except TimeoutError:
            return None
        except (ConnectionClosed, OSError) as exc:
            raise Disconnected(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self.stack.close()
