/**
 * An in-process Tavern server on 127.0.0.1:0 with helpers to mint tokens and connect real
 * socket.io-client sockets. Async-disposable: `await using server = await startTestServer()`
 * closes every client it made and the server.
 */
import type { ClientToServerEvents, CommandName, CommandResult, ClientPayload, Result, ServerToClientEvents, SessionReady } from '@tavern/protocol';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connectSocket, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { resolveConfig, type ConfigOverrides } from '../../src/config.js';
import { createRealtimeServer, type RealtimeServer } from '../../src/create-realtime-server.js';
import type { AnyFeature } from '../../src/features/feature.js';
import type { TavernHooks } from '../../src/hooks/hooks.js';
import { createLogger } from '../../src/platform/logger.js';
import { TEST_JWT_SECRET } from './start-server-process.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TokenOptions {
  name?: string;
  characterId?: string;
  roles?: string[];
  guilds?: string[];
  mmr?: number;
  jti?: string;
  /** @default 3600 */
  ttlSeconds?: number;
}

export interface ConnectOptions extends TokenOptions {
  /** Use this token instead of minting one. */
  token?: string;
  auth?: Record<string, unknown>;
  io?: Partial<ManagerOptions & SocketOptions>;
}

export interface TestServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly tavern: RealtimeServer;
  token(userId: string, options?: TokenOptions): Promise<string>;
  /** Connects and waits for `session:ready`. */
  connect(userId: string, options?: ConnectOptions): Promise<ClientSocket & { ready: SessionReady }>;
  /** Connects and waits for `connect_error`; resolves with its `data`. */
  refuse(options: Omit<ConnectOptions, 'token'> & { token?: string | null }): Promise<{ code: string; message: string; retryAfterMs?: number }>;
  /** A raw socket (not yet connected; call `.connect()`), closed on dispose. */
  socket(options: Partial<ManagerOptions & SocketOptions>): ClientSocket;
  close(): Promise<void>;
}

export interface TestServerOptions {
  config?: ConfigOverrides;
  features?: readonly AnyFeature[];
  hooks?: TavernHooks;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const config = resolveConfig({
    nodeEnv: 'test',
    port: 0,
    logLevel: (process.env['TAVERN_TEST_LOG'] as 'info' | undefined) ?? 'silent',
    ...options.config,
  });
  const logger = createLogger({ level: config.logLevel, nodeId: config.nodeId });
  const httpServer = createServer();
  const tavern = await createRealtimeServer(httpServer, {
    config,
    logger,
    ...(options.features && { features: options.features }),
    ...(options.hooks && { hooks: options.hooks }),
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const sockets = new Set<ClientSocket>();
  let closed = false;

  const sign = tavern.verifier.sign;
  async function token(userId: string, tokenOptions: TokenOptions = {}): Promise<string> {
    if (!sign) throw new Error('the test server signs tokens only with a secret or in dev mode');
    const { ttlSeconds = 3600, characterId, ...claims } = tokenOptions;
    return sign({ ...claims, ...(characterId !== undefined && { cid: characterId }), sub: userId }, ttlSeconds);
  }

  function socket(ioOptions: Partial<ManagerOptions & SocketOptions>): ClientSocket {
    const client: ClientSocket = connectSocket(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      autoConnect: false,
      ...ioOptions,
    });
    sockets.add(client);
    return client;
  }

  async function connect(userId: string, connectOptions: ConnectOptions = {}) {
    const { token: given, auth, io: ioOptions, ...tokenOptions } = connectOptions;
    const client = socket({ auth: { token: given ?? (await token(userId, tokenOptions)), ...auth }, ...ioOptions });
    const ready = await new Promise<SessionReady>((resolve, reject) => {
      client.once('session:ready', resolve);
      client.once('connect_error', (error) => reject(new Error(`connect_error ${error.message}`)));
      client.connect();
    });
    return Object.assign(client, { ready });
  }

  async function refuse(refuseOptions: Omit<ConnectOptions, 'token'> & { token?: string | null }) {
    const { token: given, auth, io: ioOptions } = refuseOptions;
    const client = socket({ auth: { ...(given !== null && given !== undefined && { token: given }), ...auth }, ...ioOptions });
    return new Promise<{ code: string; message: string; retryAfterMs?: number }>((resolve, reject) => {
      client.once('connect', () => reject(new Error('connected, but a refusal was expected')));
      client.once('connect_error', (error) => resolve((error as Error & { data: { code: string; message: string } }).data));
      client.connect();
    });
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    for (const client of sockets) client.disconnect();
    await tavern.shutdown();
    httpServer.closeAllConnections();
  }

  return { url, port, tavern, token, connect, refuse, socket, close, [Symbol.asyncDispose]: close };
}

/** Sends a command and resolves with its ack. */
export function request<E extends CommandName>(
  socket: ClientSocket,
  event: E,
  payload: ClientPayload<E>,
  timeoutMs = 5_000,
): Promise<Result<CommandResult<E>>> {
  const target = socket.timeout(timeoutMs) as unknown as { emitWithAck(event: string, payload: unknown): Promise<Result<CommandResult<E>>> };
  return target.emitWithAck(event, payload);
}

/** Resolves with the next `event` on `socket`. */
export function next<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
  timeoutMs = 5_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${String(event)} within ${timeoutMs} ms`)), timeoutMs);
    (socket as unknown as { once(event: string, fn: (data: unknown) => void): void }).once(event, (data) => {
      clearTimeout(timer);
      resolve(data as Parameters<ServerToClientEvents[E]>[0]);
    });
  });
}

/** Overrides that make in-process servers one cluster over `redisUrl` with a shared secret. */
export function clusterConfig(redisUrl: string, overrides: ConfigOverrides = {}): ConfigOverrides {
  return {
    ...overrides,
    redis: { url: redisUrl, keyPrefix: 'tavern:' },
    auth: { jwt: { kind: 'secret', secret: TEST_JWT_SECRET }, ...overrides.auth },
    cluster: { heartbeatMs: 500, nodeTtlMs: 2_000, ...overrides.cluster },
  };
}
