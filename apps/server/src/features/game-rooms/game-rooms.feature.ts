/**
 * The generic game-room events (`room:create`, `room:join`, `room:list`, ...) over the rooms
 * of every type given with `defineRoom`. Opt-in: `features: [...presets.chat, gameRoomsFeature, myRoom]`.
 * A socket holding a seat is in the Socket.IO room `game:{roomId}` (own kind, its policy: a
 * seat in the room), on whichever node it is connected to; patches go to each seat's socket
 * alone, since views differ. Over Redis the service routes commands to the room's node and
 * restores the rooms of dead nodes (game-rooms.service.ts, .directory.ts, .bus.ts).
 */
import { gameRoomSlice } from '@tavern/protocol';
import { defineFeature, type HandlerContext, type TavernSocket } from '../../api.js';
import type { SeatConnection } from './game-room.js';
import { RoomBus } from './game-rooms.bus.js';
import { RoomDirectory } from './game-rooms.directory.js';
import { GameRoomService, type GameRoomCluster } from './game-rooms.service.js';
import { gameRoomSettings } from './game-rooms.settings.js';

export const GAME_ROOM_KIND = 'game';
const gameRoom = (roomId: string) => `${GAME_ROOM_KIND}:${roomId}`;

const connectionOf = (socket: TavernSocket): SeatConnection => ({
  socketId: socket.id,
  nodeId: null,
  send: (event: string, data: unknown) => void (socket.emit as (event: string, data: unknown) => boolean)(event, data),
});

export const gameRoomsFeature = defineFeature({
  name: 'game-rooms',
  slice: gameRoomSlice,
  settings: gameRoomSettings,
  create: ({ settings, logger, config, clock, services, rooms, io, redis, registry }) => {
    const cluster: GameRoomCluster | null = redis && {
      nodeId: config.nodeId,
      directory: new RoomDirectory(redis, config.nodeId, Math.max(settings.registryTtlMs, 3 * config.cluster.nodeTtlMs)),
      bus: new RoomBus(redis, config.nodeId, logger, settings.forwardTimeoutMs),
      deadNodes: (nodeIds) => registry.deadNodes(nodeIds),
      sweepMs: settings.restoreSweepMs,
      maxCheckpointBytes: settings.maxCheckpointBytes,
    };
    const service = new GameRoomService(settings, logger, config.nodeEnv !== 'production', () => clock.now(), cluster);
    services.provide('gameRooms', service);
    rooms.setPolicy(GAME_ROOM_KIND, (user, room) => service.hasSeat(user.userId, room.id));
    const sockets = io.of('/').sockets;
    service.attach({
      joinSocket: async (socketId, roomId) => {
        const socket = sockets.get(socketId);
        if (socket) await rooms.join(socket, gameRoom(roomId));
      },
      leaveSocket: (socketId, roomId) => void sockets.get(socketId)?.leave(gameRoom(roomId)),
      localConnection: (socketId) => {
        const socket = sockets.get(socketId);
        return socket?.connected ? connectionOf(socket) : null;
      },
    });
    const caller = (ctx: HandlerContext) => ({ user: ctx.user, connection: connectionOf(ctx.socket) });
    return {
      handlers: {
        'room:create': (ctx, { type, options, private: isPrivate = false }) => service.create(caller(ctx), type, options, isPrivate),
        'room:join': (ctx, { roomId, reservation, rejoin }) => service.join(caller(ctx), roomId, reservation, rejoin),
        'room:autojoin': (ctx, { type, options, filter }) => service.joinOrCreate(caller(ctx), type, options, filter),
        'room:leave': async ({ user, socket }, { roomId }) => {
          await service.leave(user, roomId, socket.id);
          return {};
        },
        'room:list': async (_ctx, query) => ({ rooms: await service.list(query) }),
        'room:sync': (ctx, { roomId }) => service.sync(ctx.user, roomId, connectionOf(ctx.socket)),
      },
      onDisconnect(socket) {
        service.disconnected(socket.id, socket.data.user.userId);
      },
      start: () => service.startCluster(),
      stop: () => service.stop(),
    };
  },
});
