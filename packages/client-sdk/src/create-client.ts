/**
 * A typed, reconnecting Tavern client for browsers and Node.
 *
 * - `request(event, payload)` resolves to the ack's `Result`, typed from a contract: the
 *   built-in one by default, or the server's own (`createClient<typeof contract>(...)`, or
 *   `contract` in the options, which also allows checking payloads before they are sent).
 * - Commands made while disconnected wait in a bounded queue and are sent once, in order,
 *   after the next `session:ready`. A command in flight when the connection drops is sent
 *   again if its payload carries an idempotency key (`clientMsgId`); otherwise its promise
 *   rejects with `DISCONNECTED`, because the server may or may not have run it.
 * - Tokens: `getToken` is called for the first connect, whenever the cached token is expired
 *   or refused, and on `auth:expiring` (then sent with `auth:refresh`, keeping the socket).
 * - Reconnection: exponential backoff with jitter after any drop, after a refused handshake
 *   that may succeed later, and after `server:shutdown` at the moment the server asked for.
 *
 * @example
 * const client = createClient({ url: 'https://play.example.com', getToken: () => auth.fetchToken() });
 * client.on('chat:message', (message) => render(message));
 * const result = await client.request('chat:send', { channelId: 'global', content: 'hi', clientMsgId: crypto.randomUUID() });
 * if (!result.ok) showError(result.error.code);
 */
import type {
  BuiltInContract,
  ClientPayloadOf,
  ClientToServerEventsOf,
  CommandNameOf,
  CommandResultOf,
  EventSource,
  Result,
  ServerEventNameOf,
  ServerPayloadOf,
  ServerToClientEventsOf,
  SessionReady,
  SignalNameOf,
} from '@tavern/protocol';
// The only values the client needs from the protocol, from its zod-free entry: importing the
// main entry at run time would put zod and every schema in a browser bundle.
import { ErrorCode, PROTOCOL_VERSION } from '@tavern/protocol/codes';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { ClientError, ClientErrorCode } from './client-error.js';
import { OfflineQueue, type PendingCommand } from './offline-queue.js';

export type ConnectionState =
  /** Created with `autoConnect: false` and not connected yet. */
  | 'idle'
  /** First connection under way. */
  | 'connecting'
  /** Authenticated: `session:ready` received. Commands are sent at once. */
  | 'connected'
  /** Lost the connection (or was refused for now) and will try again. Commands are queued. */
  | 'reconnecting'
  /** Closed by `close()` or ended for good by the server (revoked, kicked, wrong version). */
  | 'closed';

export interface ReconnectOptions {
  /** @default 500 */
  initialDelayMs?: number;
  /** @default 10000 */
  maxDelayMs?: number;
  /** Each delay is spread by ± this fraction so that a fleet does not reconnect at once. @default 0.5 */
  jitter?: number;
}

export interface ClientOptions<K extends EventSource = BuiltInContract> {
  /** The server's URL, e.g. `https://play.example.com`. */
  url: string;
  /** Returns a valid JWT; called again whenever the cached one is expired or refused. */
  getToken: () => string | Promise<string>;
  /** Per-command ack timeout. @default 10000 */
  timeoutMs?: number;
  /** Commands kept while disconnected. @default 100 */
  maxQueueSize?: number;
  reconnect?: ReconnectOptions;
  /** @default true */
  autoConnect?: boolean;
  /** A cached token this close to its expiry is replaced (via `getToken`) before connecting. @default 5000 */
  tokenRefreshMarginMs?: number;
  /**
   * A connection attempt that has neither `session:ready` nor a refusal after this long (a
   * handshake hanging on a node that is going away) is abandoned and retried.
   * @default `socketOptions.timeout`, else 20000
   */
  handshakeTimeoutMs?: number;
  /** Passed to socket.io-client (e.g. `transports`, `path`, `extraHeaders` in Node). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /**
   * The server's contract as a value (e.g. `defineContract(...builtInSlices, diceSlice)`): types
   * the client like `createClient<typeof contract>`, and lets `validate` check payloads. Leave it
   * out in browsers that should not download the schemas.
   */
  contract?: K;
  /**
   * Check every request's and signal's payload against `contract` before sending it: a bad one
   * resolves to `INVALID_PAYLOAD` locally (a signal returns false) without a round trip.
   * @default false
   */
  validate?: boolean;
  /**
   * Returns the W3C `traceparent` of the caller's current span; called once per request (when
   * it is made, so a queued command keeps its caller's trace) and per signal. When it returns
   * one, the event carries `{ traceparent }` as an extra argument after the payload, and the
   * server's span for the event (when the server traces) becomes a child of the caller's span.
   * Returning undefined, or throwing, sends the event exactly as without this option.
   *
   * @example
   * import { context, propagation } from '@opentelemetry/api';
   * createClient({ url, getToken, traceContext: () => {
   *   const carrier: Record<string, string> = {};
   *   propagation.inject(context.active(), carrier);
   *   return carrier['traceparent'];
   * } });
   */
  traceContext?: () => string | undefined;
}

export interface RequestOptions {
  /** @default the client's `timeoutMs` */
  timeoutMs?: number;
  /** Queue while disconnected (default) or reject at once with `OFFLINE`. @default true */
  queue?: boolean;
}

export type ClientSocket<K extends EventSource = BuiltInContract> = Socket<ServerToClientEventsOf<K>, ClientToServerEventsOf<K>>;

/** A client typed by the contract `K` of the server it talks to (the built-in one by default). */
export interface TavernClient<K extends EventSource = BuiltInContract> {
  readonly state: ConnectionState;
  /** The last `session:ready`, or null before the first one. */
  readonly session: SessionReady | null;
  /** Why the client is closed, when the server closed it. */
  readonly closeReason: { code: string; message: string } | null;
  /** Commands waiting for a connection. */
  readonly queueSize: number;
  /** The underlying socket.io-client socket, for what the SDK does not cover. */
  readonly socket: ClientSocket<K>;
  /** Starts connecting (only needed with `autoConnect: false`). */
  connect(): void;
  /** Disconnects for good; queued and in-flight commands reject with `CLOSED`. */
  close(): void;
  request<E extends CommandNameOf<K>>(event: E, payload: ClientPayloadOf<K, E>, options?: RequestOptions): Promise<Result<CommandResultOf<K, E>>>;
  /** Sends a signal (no ack) if connected; returns false when it was dropped. */
  signal<E extends SignalNameOf<K>>(event: E, payload: ClientPayloadOf<K, E>): boolean;
  /** Listens to a server event; returns a function that stops listening. */
  on<E extends ServerEventNameOf<K>>(event: E, listener: (data: ServerPayloadOf<K, E>) => void): () => void;
  off<E extends ServerEventNameOf<K>>(event: E, listener: (data: ServerPayloadOf<K, E>) => void): void;
  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void;
  /** The server's clock, estimated from `session:ready` (for timers like `poker:timer`). */
  serverNow(): number;
}

/** Handshake refusals after which trying again cannot help. */
const FATAL_CODES = new Set<string>([ErrorCode.UNSUPPORTED_VERSION, ErrorCode.TOKEN_REVOKED]);
/** Session ends after which the client stays closed. */
const FINAL_END_REASONS = new Set<string>([ErrorCode.TOKEN_REVOKED, 'KICKED']);
/** Consecutive refused tokens (each freshly fetched) before the client gives up. */
const MAX_AUTH_FAILURES = 3;

type Listener = (data: unknown) => void;

interface UntypedSocket {
  emit(event: string, ...args: unknown[]): unknown;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

interface InFlight {
  command: PendingCommand;
  timer: ReturnType<typeof setTimeout>;
}

export function createClient<K extends EventSource = BuiltInContract>(options: ClientOptions<K>): TavernClient<K> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? options.socketOptions?.timeout ?? 20_000;
  const { initialDelayMs = 500, maxDelayMs = 10_000, jitter = 0.5 } = options.reconnect ?? {};
  const queue = new OfflineQueue(options.maxQueueSize ?? 100);
  const inFlight = new Map<number, InFlight>();
  const stateListeners = new Set<(state: ConnectionState, previous: ConnectionState) => void>();

  let state: ConnectionState = 'idle';
  let session: SessionReady | null = null;
  let closeReason: { code: string; message: string } | null = null;
  let token: string | null = null;
  let tokenStale = false;
  let authFailures = 0;
  let attempt = 0;
  let nextDelayMs: number | null = null;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let handshakeTimer: ReturnType<typeof setTimeout> | null = null;
  let clockOffsetMs = 0;
  let nextCommandId = 0;
  /** The traceparent each command was made under, when `traceContext` gave one. */
  const traceparents = options.traceContext ? new WeakMap<PendingCommand, string>() : null;

  const socket: ClientSocket<K> = io(options.url, {
    ...options.socketOptions,
    // A key per client for load balancers that need affinity (see deploy/nginx.conf.template).
    query: { ...options.socketOptions?.query, lb: affinityKey() },
    autoConnect: false,
    // Every reconnect goes through `scheduleReconnect`, whatever ended the connection.
    reconnection: false,
    auth: (callback) => {
      currentToken().then(
        (value) => callback({ token: value, v: PROTOCOL_VERSION, ...(session && { sessionId: session.sessionId }) }),
        // Without a token the server refuses with UNAUTHENTICATED and the client retries.
        () => callback({ v: PROTOCOL_VERSION, ...(session && { sessionId: session.sessionId }) }),
      );
    },
  });

  /** The socket without its event maps: the SDK's own API carries the types. */
  const untyped = socket as unknown as UntypedSocket;

  function setState(next: ConnectionState): void {
    if (next === state) return;
    const previous = state;
    state = next;
    for (const listener of stateListeners) listener(next, previous);
  }

  async function currentToken(): Promise<string> {
    if (token === null || tokenStale || expiresSoon(token, options.tokenRefreshMarginMs ?? 5_000)) {
      token = await options.getToken();
      tokenStale = false;
    }
    return token;
  }

  function backoffDelay(): number {
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 16));
    attempt += 1;
    return Math.max(0, Math.round(base * (1 + jitter * (2 * Math.random() - 1))));
  }

  function scheduleReconnect(minimumMs = 0): void {
    if (state === 'closed') return;
    setState(session ? 'reconnecting' : 'connecting');
    const delay = Math.max(nextDelayMs ?? backoffDelay(), minimumMs);
    nextDelayMs = null;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      if (state !== 'closed' && !socket.connected) open();
    }, delay);
  }

  /** Connects, and starts over if the handshake neither succeeds nor fails in time. */
  function open(): void {
    stopHandshakeTimer();
    handshakeTimer = setTimeout(() => {
      handshakeTimer = null;
      if (state === 'closed' || state === 'connected') return;
      // Disconnecting by hand emits no 'disconnect', so the retry is scheduled here.
      socket.disconnect();
      settleInFlight();
      scheduleReconnect();
    }, handshakeTimeoutMs);
    socket.connect();
  }

  function stopHandshakeTimer(): void {
    if (handshakeTimer) clearTimeout(handshakeTimer);
    handshakeTimer = null;
  }

  function closeFor(code: string, message: string): void {
    closeReason = { code, message };
    close();
  }

  function send(command: PendingCommand): void {
    const id = nextCommandId++;
    const timer = setTimeout(() => {
      inFlight.delete(id);
      command.reject(new ClientError(ClientErrorCode.TIMEOUT, `no answer to ${command.event} within ${command.timeoutMs} ms`, command.event));
    }, command.timeoutMs);
    inFlight.set(id, { command, timer });
    const onAck = (result: unknown) => {
      const entry = inFlight.get(id);
      if (!entry) return;
      inFlight.delete(id);
      clearTimeout(entry.timer);
      command.resolve(result);
    };
    const traceparent = traceparents?.get(command);
    if (traceparent === undefined) untyped.emit(command.event, command.payload, onAck);
    else untyped.emit(command.event, command.payload, { traceparent }, onAck);
  }

  /** The caller's traceparent from `traceContext`, or undefined (no option, nothing given, or it threw). */
  function currentTraceparent(): string | undefined {
    if (!options.traceContext) return undefined;
    try {
      const value = options.traceContext();
      return typeof value === 'string' && value !== '' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  function flush(): void {
    for (const command of queue.drain()) send(command);
  }

  /** Commands whose acks can no longer arrive: idempotent ones go back in front of the queue. */
  function settleInFlight(): void {
    const retry: PendingCommand[] = [];
    for (const { command, timer } of inFlight.values()) {
      clearTimeout(timer);
      if (command.idempotent && state !== 'closed') retry.push(command);
      else command.reject(new ClientError(ClientErrorCode.DISCONNECTED, `connection lost before ${command.event} was answered`, command.event));
    }
    inFlight.clear();
    queue.requeue(retry);
  }

  async function refreshToken(): Promise<void> {
    let fresh: string;
    try {
      fresh = await options.getToken();
    } catch {
      return; // The session ends at expiry and the reconnect asks for a token again.
    }
    // Every contract has the session slice; `core` is the client typed by it alone.
    const result = await (request as TavernClient['request'])('auth:refresh', { token: fresh }, { queue: false }).catch(() => null);
    if (result?.ok) {
      token = fresh;
      tokenStale = false;
    }
  }

  /** The SDK's own listeners, on the events every contract has (the session slice). */
  const core = socket as unknown as ClientSocket;
  if (options.validate && !options.contract) throw new Error('validate: true needs the contract option');
  const contract = options.validate ? options.contract : undefined;

  /** Null when `payload` is valid for `event` (or nothing is checked), else the refusal. */
  function localCheck(event: string, payload: unknown): Result<never> | null {
    if (!contract) return null;
    const definition = Object.hasOwn(contract.clientEvents, event) ? contract.clientEvents[event] : undefined;
    if (!definition) return { ok: false, error: { code: ErrorCode.INVALID_PAYLOAD, message: `unknown event ${event}` } };
    const parsed = definition.payload.safeParse(payload);
    if (parsed.success) return null;
    return { ok: false, error: { code: ErrorCode.INVALID_PAYLOAD, message: parsed.error.issues[0]?.message ?? 'invalid payload', details: parsed.error.issues } };
  }

  core.on('session:ready', (ready) => {
    stopHandshakeTimer();
    session = ready;
    clockOffsetMs = ready.serverTime - Date.now();
    attempt = 0;
    authFailures = 0;
    setState('connected');
    flush();
  });

  core.on('auth:expiring', () => void refreshToken());

  core.on('server:shutdown', ({ reconnectAfterMs }) => {
    nextDelayMs = reconnectAfterMs;
  });

  core.on('session:ended', ({ reason, message }) => {
    if (FINAL_END_REASONS.has(reason)) {
      closeFor(reason, message);
      return;
    }
    if (reason === ErrorCode.TOKEN_EXPIRED) tokenStale = true;
  });

  socket.on('disconnect', (reason) => {
    stopHandshakeTimer();
    settleInFlight();
    if (reason === 'io client disconnect' || state === 'closed') return;
    scheduleReconnect();
  });

  socket.on('connect_error', (error) => {
    stopHandshakeTimer();
    const data = (error as Error & { data?: { code?: string; message?: string; retryAfterMs?: number } }).data;
    const code = data?.code;
    if (code !== undefined && FATAL_CODES.has(code)) {
      closeFor(code, data?.message ?? error.message);
      return;
    }
    if (code === ErrorCode.TOKEN_EXPIRED || code === ErrorCode.UNAUTHENTICATED) {
      tokenStale = true;
      authFailures += 1;
      if (authFailures >= MAX_AUTH_FAILURES) {
        closeFor(code, data?.message ?? 'the server refused every token getToken returned');
        return;
      }
    }
    scheduleReconnect(data?.retryAfterMs ?? 0);
  });

  function request<E extends CommandNameOf<K>>(event: E, payload: ClientPayloadOf<K, E>, requestOptions: RequestOptions = {}): Promise<Result<CommandResultOf<K, E>>> {
    return new Promise<Result<CommandResultOf<K, E>>>((resolve, reject) => {
      if (state === 'closed') {
        reject(new ClientError(ClientErrorCode.CLOSED, 'the client is closed', event));
        return;
      }
      const refused = localCheck(event, payload);
      if (refused) {
        resolve(refused);
        return;
      }
      const command: PendingCommand = {
        event,
        payload,
        timeoutMs: requestOptions.timeoutMs ?? timeoutMs,
        idempotent: hasIdempotencyKey(payload),
        resolve: resolve,
        reject,
      };
      if (traceparents) {
        const traceparent = currentTraceparent();
        if (traceparent !== undefined) traceparents.set(command, traceparent);
      }
      if (state === 'connected' && socket.connected) {
        send(command);
      } else if (requestOptions.queue === false) {
        reject(new ClientError(ClientErrorCode.OFFLINE, `not connected; ${event} was not sent`, event));
      } else {
        queue.push(command);
      }
    });
  }

  function close(): void {
    if (state === 'closed') return;
    setState('closed');
    if (reconnectTimer) clearTimeout(reconnectTimer);
    reconnectTimer = null;
    stopHandshakeTimer();
    socket.disconnect();
    settleInFlight();
    queue.rejectAll((command) => new ClientError(ClientErrorCode.CLOSED, 'the client was closed', command.event));
  }

  function connect(): void {
    if (state !== 'idle') return;
    setState('connecting');
    open();
  }

  const client: TavernClient<K> = {
    get state() {
      return state;
    },
    get session() {
      return session;
    },
    get closeReason() {
      return closeReason;
    },
    get queueSize() {
      return queue.size;
    },
    socket,
    connect,
    close,
    request,
    signal(event, payload) {
      if (state !== 'connected' || !socket.connected) return false;
      if (localCheck(event, payload)) return false;
      const traceparent = currentTraceparent();
      if (traceparent === undefined) untyped.emit(event, payload);
      else untyped.emit(event, payload, { traceparent });
      return true;
    },
    on(event, listener) {
      untyped.on(event, listener as Listener);
      return () => untyped.off(event, listener as Listener);
    },
    off(event, listener) {
      untyped.off(event, listener as Listener);
    },
    onStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    serverNow: () => Date.now() + clockOffsetMs,
  };
  if (options.autoConnect !== false) connect();
  return client;
}

function affinityKey(): string {
  return Math.random().toString(36).slice(2, 12);
}

function hasIdempotencyKey(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && typeof (payload as { clientMsgId?: unknown }).clientMsgId === 'string';
}

/** Reads `exp` from a JWT without verifying it (the server verifies). */
function expiresSoon(jwt: string, marginMs: number): boolean {
  const part = jwt.split('.')[1];
  if (!part) return false;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='))) as { exp?: unknown };
    return typeof claims.exp === 'number' && claims.exp * 1000 - marginMs <= Date.now();
  } catch {
    return false;
  }
}
