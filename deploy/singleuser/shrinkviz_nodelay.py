"""Kernel websockets without Nagle's algorithm, for the students' servers.

jupyter_server leaves TCP_NODELAY off on the kernel websocket (tornado's default), so of the
several small messages a slider move sends back (one per mark, the readout, the status), the
later ones wait for the browser's delayed ACK: about 40 ms on Linux, on every move. Measured
by benchmarks/bench_hub.py. tornado's own advice ("WebSocketHandler.set_nodelay") is to turn
it on once the connection is open; ServerApp.kernel_websocket_connection_class is the
documented place to do that:

    jupyterhub-singleuser \\
      --ServerApp.kernel_websocket_connection_class=shrinkviz_nodelay.NoDelayConnection
"""

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection


class NoDelayConnection(ZMQChannelsWebsocketConnection):
    """jupyter_server's kernel websocket connection with TCP_NODELAY on."""

    def connect(self):
        self.websocket_handler.set_nodelay(True)
        return super().connect()
