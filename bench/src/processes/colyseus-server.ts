/**
 * The baseline of scenario 7: a Colyseus 0.16 server (`@colyseus/core`, the server the
 * `colyseus` package re-exports, with its WebSocket transport) running the bench game as
 * the room `bench-arena`, in-process matchmaking and presence, Colyseus's defaults
 * otherwise. Prints `{"msg":"listening","port":N}` when ready.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { ColyseusBenchRoom } from '../rooms/colyseus-room.js';
import { ROOM_TYPE } from '../rooms/game.js';

const http = createServer();
const server = new Server({ transport: new WebSocketTransport({ server: http }), greet: false, gracefullyShutdown: false });
server.define(ROOM_TYPE, ColyseusBenchRoom);
await server.listen(0, '127.0.0.1');
const { port } = http.address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);

// A graceful exit on SIGTERM, so that `--cpu-prof` (bench --profile) writes its profile.
process.once('SIGTERM', () => process.exit(0));
