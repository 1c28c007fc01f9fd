/**
 * The studio's own rules at three points, in process or over HTTP (for backends not in
 * Node, after Centrifugo's connect and publish proxies):
 *
 * - `connect`: after the token is verified, before the connection is accepted. It may refuse
 *   (the handshake fails with the code it gives, `FORBIDDEN` by default) or enrich the user
 *   (name, roles, guilds, character, rating), e.g. from the studio's player database.
 * - `message`: before a chat message is stored. It may refuse it or rewrite its content
 *   (moderation); what it returns is what is stored and broadcast.
 * - `command`: after every accepted command or signal, for audit. It cannot change anything,
 *   and a slow or failing observer never delays an ack.
 *
 * An HTTP hook is a POST of JSON to a URL with a timeout; when it times out or fails, the
 * hook's fail mode decides: `closed` refuses with `UNAVAILABLE`, `open` lets it through as if
 * there were no hook. In-process hooks run in the same place; a hook that throws an
 * `AppError` refuses with its code, anything else counts as a failure of the hook. Audit
 * records over HTTP are sent without waiting, at most `MAX_AUDITS_IN_FLIGHT` at once.
 *
 * @example
 * createRealtimeServer(httpServer, {
 *   config, logger,
 *   hooks: {
 *     connect: async ({ user }) => ((await players.isBanned(user.userId)) ? { allow: false, message: 'banned' } : { allow: true, user: { name: await players.nameOf(user.userId) } }),
 *     message: ({ content }) => ({ allow: true, content: content.replaceAll('darn', '****') }),
 *     command: (record) => audit.write(record),
 *   },
 * });
 */
import { ErrorCode } from '@tavern/protocol';
import { z } from 'zod';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { AppError } from '../platform/app-error.js';
import type { AuthUser } from '../transport/socket-types.js';

/** The codes a hook may refuse with. */
export const HookRefusalCode = z.enum([ErrorCode.FORBIDDEN, ErrorCode.UNAUTHENTICATED, ErrorCode.LIMIT_EXCEEDED, ErrorCode.INVALID_PAYLOAD, ErrorCode.PRECONDITION_FAILED]);
export type HookRefusalCode = z.infer<typeof HookRefusalCode>;

const Refusal = z.object({ allow: z.literal(false), code: HookRefusalCode.optional(), message: z.string().max(500).optional() });

/** What a connect hook may change about the user. */
export const UserPatch = z
  .object({
    name: z.string().min(1).max(64),
    characterId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).nullable(),
    roles: z.array(z.enum(['player', 'moderator', 'admin', 'service'])).max(8),
    guilds: z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/)).max(64),
    mmr: z.number().finite().nullable(),
  })
  .partial();
export type UserPatch = z.infer<typeof UserPatch>;

export const ConnectVerdict = z.union([z.object({ allow: z.literal(true), user: UserPatch.optional() }), Refusal]);
export type ConnectVerdict = z.infer<typeof ConnectVerdict>;

export const MessageVerdict = z.union([z.object({ allow: z.literal(true), content: z.string().min(1).max(4000).optional() }), Refusal]);
export type MessageVerdict = z.infer<typeof MessageVerdict>;

export interface ConnectInput {
  user: AuthUser;
  ip: string;
}

export interface MessageInput {
  user: AuthUser;
  channelId: string;
  content: string;
  contentType: string;
}

/** One accepted client event, as the audit hook sees it. */
export interface CommandRecord {
  event: string;
  userId: string;
  socketId: string;
  payload: unknown;
  at: number;
}

type MaybePromise<T> = T | Promise<T>;

/** Hooks given in process, as `createRealtimeServer({ hooks })`. */
export interface TavernHooks {
  connect?(input: ConnectInput): MaybePromise<ConnectVerdict | void>;
  message?(input: MessageInput): MaybePromise<MessageVerdict | void>;
  command?(record: CommandRecord): void;
}

export type FailMode = 'open' | 'closed';

export interface HttpHook {
  url: string;
  timeoutMs: number;
  fail: FailMode;
}

/** Hooks over HTTP, from the environment (`HOOK_CONNECT_URL`, ...). */
export interface HttpHooksConfig {
  connect: HttpHook | null;
  message: HttpHook | null;
  command: HttpHook | null;
}

/** What the server and the features call. */
export interface ExtensionHooks {
  /** False when no connect hook is set: the handshake then skips the call. */
  readonly checksConnect: boolean;
  /** The user to accept (possibly changed), or throws the refusal as an `AppError`. */
  connect(input: ConnectInput): Promise<AuthUser>;
  /** False when no message hook is set: the chat path then skips the call. */
  readonly moderates: boolean;
  /** The content to store, or throws the refusal as an `AppError`. */
  message(input: MessageInput): Promise<string>;
  /** False when no command hook is set. */
  readonly audits: boolean;
  command(record: CommandRecord): void;
}

type HookName = 'connect' | 'message' | 'command';

/** Audit POSTs under way at once at most; more are dropped and counted. */
export const MAX_AUDITS_IN_FLIGHT = 256;

export interface HookDeps {
  inProcess: TavernHooks;
  http: HttpHooksConfig;
  logger: Logger;
  metrics: Metrics;
}

function refusal(verdict: z.infer<typeof Refusal>, fallback: string): AppError {
  return new AppError(verdict.code ?? ErrorCode.FORBIDDEN, verdict.message ?? fallback);
}

async function post(hook: HttpHook, body: unknown): Promise<unknown> {
  const response = await fetch(hook.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(hook.timeoutMs),
  });
  if (!response.ok) throw new Error(`hook answered HTTP ${response.status}`);
  return response.json();
}

export function createExtensionHooks({ inProcess, http, logger, metrics }: HookDeps): ExtensionHooks {
  const log = logger.child({ component: 'hooks' });

  /**
   * Runs one hook and validates its verdict. `undefined` means there is no hook (or the hook
   * allowed without a verdict). A failure either refuses with UNAVAILABLE or counts as
   * "allowed unchanged", as the hook's fail mode says.
   */
  async function ask<V>(name: HookName, schema: z.ZodType<V>, input: unknown, local: (() => MaybePromise<V | void>) | undefined): Promise<V | undefined> {
    const remote = http[name];
    if (!local && !remote) return undefined;
    try {
      const answer = local ? await local() : await post(remote!, input);
      if (answer === undefined) return undefined;
      const verdict = schema.safeParse(answer);
      if (!verdict.success) throw new Error(`the ${name} hook answered something that is not a verdict: ${verdict.error.issues[0]?.message ?? ''}`);
      metrics.hookCalls.labels(name, 'ok').inc();
      return verdict.data;
    } catch (error) {
      if (error instanceof AppError) {
        metrics.hookCalls.labels(name, 'refused').inc();
        throw error;
      }
      const fail: FailMode = remote && !local ? remote.fail : 'closed';
      metrics.hookCalls.labels(name, fail === 'open' ? 'failed_open' : 'failed_closed').inc();
      log.warn({ err: error, hook: name, fail }, 'extension hook failed');
      if (fail === 'open') return undefined;
      throw new AppError(ErrorCode.UNAVAILABLE, `the ${name} check is unavailable, try again later`);
    }
  }

  let auditsInFlight = 0;
  const moderates = inProcess.message !== undefined || http.message !== null;
  const audits = inProcess.command !== undefined || http.command !== null;

  return {
    checksConnect: inProcess.connect !== undefined || http.connect !== null,
    async connect(input) {
      const verdict = await ask('connect', ConnectVerdict, { user: input.user, ip: input.ip }, inProcess.connect && (() => inProcess.connect!(input)));
      if (!verdict) return input.user;
      if (!verdict.allow) throw refusal(verdict, 'connection refused');
      return verdict.user ? { ...input.user, ...verdict.user } : input.user;
    },
    moderates,
    async message(input) {
      const verdict = await ask(
        'message',
        MessageVerdict,
        { userId: input.user.userId, name: input.user.name, channelId: input.channelId, content: input.content, contentType: input.contentType },
        inProcess.message && (() => inProcess.message!(input)),
      );
      if (!verdict) return input.content;
      if (!verdict.allow) throw refusal(verdict, 'message refused');
      return verdict.content ?? input.content;
    },
    audits,
    command(record) {
      try {
        if (inProcess.command) {
          inProcess.command(record);
        } else if (http.command) {
          // A flood of commands must not become a flood of pending requests: past the bound,
          // records are dropped (and counted), never queued.
          if (auditsInFlight >= MAX_AUDITS_IN_FLIGHT) {
            metrics.hookCalls.labels('command', 'dropped').inc();
            return;
          }
          auditsInFlight++;
          post(http.command, record).then(
            () => {
              auditsInFlight--;
              metrics.hookCalls.labels('command', 'ok').inc();
            },
            (error: unknown) => {
              auditsInFlight--;
              metrics.hookCalls.labels('command', 'failed_open').inc();
              log.warn({ err: error, hook: 'command' }, 'audit hook failed');
            },
          );
        }
      } catch (error) {
        metrics.hookCalls.labels('command', 'failed_open').inc();
        log.warn({ err: error, hook: 'command' }, 'audit hook failed');
      }
    },
  };
}
