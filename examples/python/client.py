"""Connect to a Tavern server from Python with python-socketio.

    pip install -r requirements.txt
    TAVERN_URL=http://127.0.0.1:3001 python client.py

The token comes from TAVERN_TOKEN, or (servers in dev mode only) from POST /dev/token.
The script connects, waits for `session:ready`, calls commands with an ack (`time:sync`,
`zone:enter`, `chat:join`, `chat:send`), prints the events it gets and answers "!ping"
in the zone chat, until Ctrl-C. Event names and payloads follow the wire contract
(PROTOCOL.md, v1); every command's ack is a Result:
{"ok": True, "data": ...} or {"ok": False, "error": {"code", "message", "retryAfterMs"?}}.
"""
import json
import os
import threading
import time
import urllib.request
import uuid

import socketio

URL = os.environ.get("TAVERN_URL", "http://127.0.0.1:3001")
USER_ID = os.environ.get("TAVERN_USER_ID", "py-alice")
NAME = os.environ.get("TAVERN_NAME", "Alice from Python")
ZONE = os.environ.get("TAVERN_ZONE", "tavern-district")
CHANNEL = f"zone:{ZONE}"  # a zone's chat channel is its room name
PROTOCOL_VERSION = 1


class CommandError(Exception):
    """A command answered {ok: false}: `code` is one of the protocol's ErrorCode values."""

    def __init__(self, event, error):
        super().__init__(f"{event}: {error.get('code')} {error.get('message')}")
        self.code = error.get("code")
        self.retry_after_ms = error.get("retryAfterMs")


def dev_token(user_id, name):
    """Asks a dev-mode server for a token (POST /dev/token); 404 when the server has a JWT config."""
    body = json.dumps({"userId": user_id, "name": name}).encode()
    request = urllib.request.Request(
        f"{URL}/dev/token", data=body, method="POST", headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["token"]


token = os.environ.get("TAVERN_TOKEN") or dev_token(USER_ID, NAME)

sio = socketio.Client(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=10)
ready = threading.Event()
session = {}


def call(event, payload, timeout=10):
    """Sends a command and returns the `data` of its Result ack, or raises CommandError."""
    result = sio.call(event, payload, timeout=timeout)
    if not result.get("ok"):
        raise CommandError(event, result.get("error", {}))
    return result["data"]


@sio.event
def connect():
    print("transport connected, waiting for session:ready")


@sio.event
def connect_error(data):
    # A refused handshake: `data` is {"message": <ErrorCode>, "data": {"code", "message"}}.
    details = data.get("data", data) if isinstance(data, dict) else {"message": data}
    print(f"refused: {details.get('code')} {details.get('message')}")


@sio.event
def disconnect(reason=None):
    print(f"disconnected ({reason}); python-socketio reconnects by itself")
    ready.clear()


@sio.on("session:ready")
def on_session_ready(data):
    # After every (re)connect: {userId, characterId, name, sessionId, serverTime, expiresAt, recovered}.
    session.update(data)
    print(f"session:ready as {data['userId']} ({data['name']}), token expires at {data['expiresAt']}")
    ready.set()


@sio.on("auth:expiring")
def on_auth_expiring(data):
    # Sent before the token expires. Renew it with a fresh token for the same user (same `sub`).
    print(f"token expires at {data['expiresAt']}; set a new one with auth:refresh")
    if "TAVERN_TOKEN" not in os.environ:
        fresh = dev_token(USER_ID, NAME)
        auth["token"] = fresh
        sio.emit("auth:refresh", {"token": fresh}, callback=lambda result: print("auth:refresh", result))


@sio.on("chat:message")
def on_chat_message(message):
    # Message = {id, channelId, seq, senderId, senderName, content, contentType, clientMsgId, createdAt, reactions, ...}
    print(f"[{message['channelId']} #{message['seq']}] {message['senderName']}: {message['content']}")
    if message["senderId"] != session.get("userId") and message["content"].strip() == "!ping":
        sio.emit("chat:send", {"channelId": message["channelId"], "content": "pong", "clientMsgId": str(uuid.uuid4())})


@sio.on("zone:player:entered")
def on_player_entered(player):
    print(f"{player['name']} entered at ({player['x']}, {player['y']})")


@sio.on("zone:player:left")
def on_player_left(data):
    print(f"{data['characterId']} left {data['zoneId']}")


@sio.on("character:correction")
def on_correction(data):
    print(f"move {data['seq']} refused; the server has us at ({data['x']}, {data['y']})")


@sio.on("error")
def on_error(data):
    # A failed signal or a command sent without an ack: {code, message, event}.
    print(f"error from {data.get('event')}: {data.get('code')} {data.get('message')}")


@sio.on("rate:limited")
def on_rate_limited(data):
    print(f"rate limited on {data['event']}, retry in {data['retryAfterMs']} ms")


@sio.on("session:ended")
def on_session_ended(data):
    print(f"session ended: {data['reason']} {data['message']}")


@sio.on("server:shutdown")
def on_server_shutdown(data):
    print(f"server shutting down; reconnect after {data['reconnectAfterMs']} ms")


# `auth` travels in the handshake (the server reads auth.token first, then the
# Authorization header). A function would be called again on every reconnect.
auth = {"token": token, "v": PROTOCOL_VERSION}
sio.connect(URL, auth=lambda: dict(auth), transports=["websocket"], wait_timeout=10)
if not ready.wait(timeout=10):
    raise SystemExit("no session:ready within 10 s")

try:
    sync = call("time:sync", {"clientTime": int(time.time() * 1000)})
    print(f"clock offset {sync['serverTime'] - sync['clientTime']} ms")

    entered = call("zone:enter", {"zoneId": ZONE})
    you = entered["you"]
    print(f"in {entered['zone']['name']} at ({you['x']}, {you['y']}) with {len(entered['players'])} others")

    joined = call("chat:join", {"channelId": CHANNEL, "historyLimit": 10})
    for message in joined["history"]:
        print(f"  history #{message['seq']} {message['senderName']}: {message['content']}")

    sent = call("chat:send", {"channelId": CHANNEL, "content": "hello from Python", "clientMsgId": str(uuid.uuid4())})
    print(f"sent as #{sent['message']['seq']}")

    # A signal (no ack): a short step; a refused one comes back as character:correction.
    sio.emit("character:move", {"x": you["x"] + 5, "y": you["y"], "seq": 1})

    # A refused command, to show the error shape.
    try:
        call("zone:enter", {"zoneId": "atlantis"})
    except CommandError as error:
        print(f"as expected: {error}")

    print("listening; Ctrl-C to stop")
    sio.wait()
except KeyboardInterrupt:
    pass
finally:
    sio.disconnect()
