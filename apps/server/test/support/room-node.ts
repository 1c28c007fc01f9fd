/**
 * A Tavern node with the test room types (`arena`, `ticker`, `fragile-ticker`) beside the
 * features `FEATURES` picks: what `startServerProcess({ ... }, { entry: ROOM_NODE })` runs, so
 * that a node running rooms can be SIGKILLed. Logs `listening` with its port like `main.ts`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRealtimeServer } from '../../src/create-realtime-server.js';
import { loadConfig, loadEnvironment } from '../../src/env.js';
import { gameRoomsFeature } from '../../src/features/index.js';
import { createLogger } from '../../src/platform/logger.js';
import { arenaRoom, fragileTickerRoom, tickerRoom } from './arena-room.js';

const features = [...loadEnvironment().features, gameRoomsFeature, arenaRoom, tickerRoom, fragileTickerRoom];
// Read again with the rooms' features, so that their variables (GAME_ROOMS_*) count.
const config = loadConfig(process.env, features);
const logger = createLogger({ level: config.logLevel, nodeId: config.nodeId, format: 'json' });
const httpServer = createServer();
await createRealtimeServer(httpServer, { config, logger, features });
httpServer.listen(config.port, config.host, () => {
  logger.info({ port: (httpServer.address() as AddressInfo).port }, 'listening');
});
