import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/** `json`: one JSON object per line (production, CI, log shippers); `pretty`: coloured lines for a terminal. */
export type LogFormat = 'json' | 'pretty';

/** Paths whose values never reach a log line. */
const REDACT = [
  'token',
  '*.token',
  'auth.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'handshake.auth.token',
  'handshake.headers.authorization',
];

/** Pretty for a developer at a terminal, JSON everywhere else (pipes, files, tests, production). */
export function defaultLogFormat(nodeEnv: string, stdoutIsTTY: boolean): LogFormat {
  return nodeEnv === 'development' && stdoutIsTTY ? 'pretty' : 'json';
}

/**
 * The one root logger; everything else gets a child of it. Every line carries `nodeId` (and
 * `pid`). `pretty` goes through pino-pretty in this thread (loaded only then, so production
 * never loads it), synchronously, so a line is out before a `process.exit` that follows it.
 */
export function createLogger(options: { level: string; nodeId: string; format?: LogFormat }): Logger {
  const settings = {
    level: options.level,
    base: { nodeId: options.nodeId, pid: process.pid },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.format !== 'pretty') return pino(settings);
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pino(settings, pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
