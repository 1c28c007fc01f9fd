/**
 * Tavern with the bench's room type (scenario 7), embedded the way a studio embeds it:
 * `createRealtimeServer` with the session feature, `gameRoomsFeature` and `benchRoom`, its
 * configuration parsed from the environment like `apps/server/src/main.ts` (the suite gives
 * it the same variables as the stock server). Prints the same `listening` log line.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createRealtimeServer, gameRoomsFeature, loadConfig, sessionFeature } from '@tavern/server';
import { benchRoom } from '../rooms/tavern-room.js';

const features = [sessionFeature, gameRoomsFeature, benchRoom];
const config = loadConfig(process.env, features);
const logger = createLogger({ level: config.logLevel, nodeId: config.nodeId });
const httpServer = createServer();
const tavern = await createRealtimeServer(httpServer, { config, logger, features });
httpServer.listen(config.port, config.host, () => {
  const { port } = httpServer.address() as AddressInfo;
  logger.info({ host: config.host, port }, 'listening');
});

// A graceful exit on SIGTERM, so that `--cpu-prof` (bench --profile) writes its profile.
process.once('SIGTERM', () => {
  tavern.shutdown().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
