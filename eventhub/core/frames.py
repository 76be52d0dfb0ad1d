"""Socket.IO frames from the network, decoded defensively.

python-socketio decodes every frame before any handler of ours runs: broken JSON, nesting deep enough to exhaust
the recursion limit, an unknown packet type, an event without a name or with a number for a name all raised
inside its message loop and left a traceback in the log per frame. `SafePacket` (given to the server as its
documented `serializer`) turns such a frame into a quiet warning and a packet that does nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from socketio import packet

log = logging.getLogger(__name__)

# A namespace no client can be connected to: python-socketio drops an event for it without calling anyone.
DISCARDED_NAMESPACE = "/\x00discarded"


def _shape_error(pkt: packet.Packet) -> str | None:
    kind, data = pkt.packet_type, pkt.data
    if kind in (packet.EVENT, packet.BINARY_EVENT):
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            return "an event needs a name"
    elif kind in (packet.ACK, packet.BINARY_ACK):
        if not isinstance(data, list):
            return "an acknowledgement carries a list"
    elif kind == packet.CONNECT:
        if data is not None and not isinstance(data, dict):
            return "connect carries an object"
    elif kind not in (packet.DISCONNECT,):
        return "unexpected packet type"
    return None


class SafePacket(packet.Packet):
    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = super().decode(encoded_packet)
            problem = _shape_error(self)
        except (ValueError, TypeError, RecursionError, IndexError) as exc:
            attachments, problem = 0, type(exc).__name__
        if problem is None:
            return attachments
        preview = encoded_packet[:40] if isinstance(encoded_packet, str | bytes) else type(encoded_packet).__name__
        log.warning("malformed Socket.IO frame ignored (%s): %r", problem, preview)
        self.packet_type, self.namespace, self.id, self.data = packet.EVENT, DISCARDED_NAMESPACE, None, [""]
        return 0
