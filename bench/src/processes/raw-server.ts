/**
 * The baseline: a plain Socket.IO 4 server doing the same work as Tavern with no validation,
 * storage, auth, rate limits or metrics. It speaks Tavern's event names so that one load
 * generator drives both. Same transport settings as Tavern (ping 25 s / 20 s, 64 KiB
 * messages, no compression).
 *
 * - connect: `session:ready`, like Tavern;
 * - `chat:join`: join the room and ack what PROTOCOL.md's join ack carries that costs per
 *   join: at most 100 members and `memberCount` (from a map of the channel's sockets, all
 *   `online`); the others hear `chat:member:joined` while the channel has at most 100
 *   members, and `chat:occupancy` at most once a second beyond that (members leave on
 *   disconnect, announced the same way). `chat:create`: a new room name, ack;
 * - `chat:send`: build a message, `io.to(channel).emit('chat:message', message)` (the sender
 *   included, as in Tavern), ack `{ ok, data: { message } }`;
 * - `zone:enter`: join `zone:<id>`, ack a fixed zone; `character:move`: broadcast each move
 *   to the zone at once (`character:moved`, volatile), the per-move fan-out Tavern's
 *   snapshots replace;
 * - the seeds scenario's mix, with Tavern's fan-out shapes: `chat:typing` to the channel but
 *   the sender (volatile), `presence:set` → `presence:changed` to `presence:<userId>` and the
 *   socket's channels then ack, `chat:read` → the receipt to the channel then ack. The user id
 *   is the token's `sub`, read (not verified) the first time one of these needs it.
 *
 * `GET /heap` answers `{ rss, heapUsed }`. Prints `{"msg":"listening","port":N}` when ready.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

type Ack = (result: unknown) => void;
const ZONE = { name: 'bench', width: 1000, height: 1000, spawn: { x: 500, y: 500 }, maxSpeed: 200 };

const http = createServer((request, response) => {
  if (request.url === '/heap') {
    const memory = process.memoryUsage();
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ rss: memory.rss, heapUsed: memory.heapUsed }));
    return;
  }
  response.statusCode = 404;
  response.end();
});

const io = new Server(http, {
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
  pingInterval: 25_000,
  pingTimeout: 20_000,
  connectTimeout: 10_000,
  cors: { origin: true, credentials: true },
});

/** The `sub` of the handshake's token, unverified (the baseline has no auth), or the socket id. */
function userIdOf(auth: unknown, fallback: string): string {
  const token = (auth as { token?: unknown } | undefined)?.token;
  if (typeof token !== 'string') return fallback;
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : fallback;
  } catch {
    return fallback;
  }
}

let messageSeq = 0;
let roomSeq = 0;

const LARGE_CHANNEL_MEMBERS = 100;
const LISTED_MEMBERS = 100;
/** channelId -> its members (socket id -> the member entry its join ack and events carry). */
const channels = new Map<string, Map<string, Member>>();

interface Member {
  userId: string;
  name: string;
  status: 'online';
}

/**
 * The member a socket is in member lists: the token's `sub` and `name`, read but not verified
 * (no auth is the point of the baseline), so that lists weigh what Tavern's do.
 */
function memberOf(auth: { token?: unknown }, socketId: string): Member {
  let claims: { sub?: unknown; name?: unknown } = {};
  try {
    claims = JSON.parse(Buffer.from(String(auth.token).split('.')[1] ?? '', 'base64url').toString()) as typeof claims;
  } catch {
    // Not a JWT: the socket id stands in.
  }
  const userId = typeof claims.sub === 'string' ? claims.sub : socketId;
  return { userId, name: typeof claims.name === 'string' ? claims.name : userId, status: 'online' };
}
/** Channels with a `chat:occupancy` due within the second. */
const occupancyDue = new Set<string>();

function announce(channelId: string, members: Map<string, Member>, socketId: string, member: Member, joined: boolean): void {
  if (members.size > LARGE_CHANNEL_MEMBERS || channelId === 'global:main') {
    if (occupancyDue.has(channelId)) return;
    occupancyDue.add(channelId);
    setTimeout(() => {
      occupancyDue.delete(channelId);
      io.to(channelId).emit('chat:occupancy', { channelId, count: channels.get(channelId)?.size ?? 0 });
    }, 1_000).unref();
    return;
  }
  if (joined) io.to(channelId).except(socketId).emit('chat:member:joined', { channelId, member });
  else io.to(channelId).emit('chat:member:left', { channelId, userId: member.userId });
}

io.on('connection', (socket) => {
  let zone: string | null = null;
  const member = memberOf(socket.handshake.auth, socket.id);
  const now = Date.now();
  socket.emit('session:ready', {
    userId: socket.id,
    characterId: null,
    name: socket.id,
    sessionId: socket.id,
    serverTime: now,
    expiresAt: now + 3_600_000,
    recovered: false,
  });

  socket.on('chat:join', (payload: { channelId: string }, ack: Ack) => {
    const { channelId } = payload;
    void socket.join(channelId);
    let members = channels.get(channelId);
    if (!members) channels.set(channelId, (members = new Map()));
    if (!members.has(socket.id)) {
      members.set(socket.id, member);
      announce(channelId, members, socket.id, member, true);
    }
    const listed: Member[] = [];
    for (const entry of members.values()) {
      if (listed.length === LISTED_MEMBERS) break;
      listed.push(entry);
    }
    ack({ ok: true, data: { channel: { id: channelId, epoch: 'raw', lastSeq: messageSeq }, members: listed, memberCount: members.size, history: [], lastReadSeq: 0 } });
  });

  socket.on('disconnect', () => {
    for (const [channelId, members] of channels) {
      if (!members.delete(socket.id)) continue;
      if (members.size === 0) channels.delete(channelId);
      else announce(channelId, members, socket.id, member, false);
    }
  });

  socket.on('chat:create', (_payload: unknown, ack: Ack) => {
    ack({ ok: true, data: { channelId: `room:raw-${++roomSeq}` } });
  });

  socket.on('chat:send', (payload: { channelId: string; content: string; clientMsgId: string }, ack: Ack) => {
    const seq = ++messageSeq;
    const message = {
      id: `m${seq}`,
      channelId: payload.channelId,
      seq,
      senderId: socket.id,
      senderName: socket.id,
      content: payload.content,
      contentType: 'text',
      clientMsgId: payload.clientMsgId,
      createdAt: Date.now(),
      reactions: {},
    };
    io.to(payload.channelId).emit('chat:message', message);
    ack({ ok: true, data: { message } });
  });

  let userId: string | null = null;
  const user = () => (userId ??= userIdOf(socket.handshake.auth, socket.id));

  socket.on('chat:typing', (payload: { channelId: string; typing: boolean }) => {
    const id = user();
    socket.to(payload.channelId).volatile.emit('chat:typing', { channelId: payload.channelId, userId: id, name: id, typing: payload.typing });
  });

  socket.on('presence:set', (payload: { status: string }, ack: Ack) => {
    const id = user();
    const channels = [...socket.rooms].filter((room) => room !== socket.id);
    io.to([`presence:${id}`, ...channels]).emit('presence:changed', { userId: id, status: payload.status, lastSeen: null });
    ack({ ok: true, data: { status: payload.status } });
  });

  socket.on('chat:read', (payload: { channelId: string; seq: number }, ack: Ack) => {
    io.to(payload.channelId).emit('chat:read', { channelId: payload.channelId, userId: user(), seq: payload.seq });
    ack({ ok: true, data: {} });
  });

  socket.on('zone:enter', (payload: { zoneId: string }, ack: Ack) => {
    if (zone) void socket.leave(zone);
    zone = `zone:${payload.zoneId}`;
    void socket.join(zone);
    ack({ ok: true, data: { zone: { id: payload.zoneId, ...ZONE }, you: ZONE.spawn, players: [] } });
  });

  socket.on('character:move', (payload: { x: number; y: number }) => {
    if (zone) socket.to(zone).volatile.emit('character:moved', { characterId: socket.id, x: payload.x, y: payload.y });
  });
});

http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});

// Socket.IO's own graceful shutdown on SIGTERM (every client disconnected, the port closed),
// which the seeds scenario times; exiting also lets `--cpu-prof` (bench --profile) write its profile.
process.once('SIGTERM', () => {
  void io.close(() => process.exit(0));
});
