/**
 * The generic game-room events (`room:create`, `room:join`, `room:list`, ...) over the rooms
 * of every type given with `defineRoom`. Opt-in: `features: [...presets.chat, gameRoomsFeature, myRoom]`.
 * A socket holding a seat is in the Socket.IO room `game:{roomId}` (own kind, its policy: a
 * seat in the room); patches go to each seat's socket alone, since views differ.
 */
import { gameRoomSlice } from '@tavern/protocol';
import { defineFeature, type HandlerContext } from '../../api.js';
import type { SeatConnection } from './game-room.js';
import { GameRoomService } from './game-rooms.service.js';
import { gameRoomSettings } from './game-rooms.settings.js';

export const GAME_ROOM_KIND = 'game';
const gameRoom = (roomId: string) => `${GAME_ROOM_KIND}:${roomId}`;

export const gameRoomsFeature = defineFeature({
  name: 'game-rooms',
  slice: gameRoomSlice,
  settings: gameRoomSettings,
  create: ({ settings, logger, config, clock, services, rooms, io }) => {
    const service = new GameRoomService(settings, logger, config.nodeEnv !== 'production', () => clock.now());
    services.provide('gameRooms', service);
    rooms.setPolicy(GAME_ROOM_KIND, (user, room) => service.hasSeat(user.userId, room.id));
    const sockets = io.of('/').sockets;
    service.attach({
      joinSocket: async (socketId, roomId) => {
        const socket = sockets.get(socketId);
        if (socket) await rooms.join(socket, gameRoom(roomId));
      },
      leaveSocket: (socketId, roomId) => void sockets.get(socketId)?.leave(gameRoom(roomId)),
    });
    const connectionOf = ({ socket }: HandlerContext): SeatConnection => ({
      socketId: socket.id,
      send: (event: string, data: unknown) => void (socket.emit as (event: string, data: unknown) => boolean)(event, data),
    });
    const caller = (ctx: HandlerContext) => ({ user: ctx.user, connection: connectionOf(ctx) });
    return {
      handlers: {
        'room:create': (ctx, { type, options, private: isPrivate = false }) => service.create(caller(ctx), type, options, isPrivate),
        'room:join': (ctx, { roomId, reservation, rejoin }) => service.join(caller(ctx), roomId, reservation, rejoin),
        'room:autojoin': (ctx, { type, options, filter }) => service.joinOrCreate(caller(ctx), type, options, filter),
        'room:leave': ({ user }, { roomId }) => {
          service.leave(user, roomId);
          return {};
        },
        'room:list': (_ctx, query) => ({ rooms: service.list(query) }),
        'room:sync': (ctx, { roomId }) => service.sync(ctx.user, roomId, connectionOf(ctx)),
      },
      onDisconnect(socket) {
        service.disconnected(socket.id, socket.data.user.userId);
      },
      stop() {
        service.stop();
      },
    };
  },
});
