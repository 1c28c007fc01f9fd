/** Chat settings and the variables that set them. */
import { z } from 'zod';
import { envLinesFile, envList, envNumber, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /** Messages kept per channel. */
  retention: z.number().int().min(1).max(1_000_000).default(1_000),
  /** A whisper history expires this long after its last message (ms). */
  dmTtlMs: z.number().int().min(60_000).default(30 * 24 * 3600 * 1000),
  /** The same content from the same sender in a channel within this window is refused (ms). */
  duplicateWindowMs: z.number().int().min(0).max(3_600_000).default(30_000),
  /** How long `clientMsgId` is remembered for idempotent retries (ms). */
  idempotencyMs: z.number().int().min(60_000).default(24 * 3600 * 1000),
  /** A typing indicator stops after this long without a refresh (ms). */
  typingMs: z.number().int().min(500).max(60_000).default(5_000),
  /** Messages per second one channel accepts across all nodes, bursts of two seconds' worth (beyond each sender's own limit). */
  channelRatePerSec: z.number().int().min(1).max(1_000_000).default(100),
  /** Different emoji one message may carry; a new one beyond it is refused `LIMIT_EXCEEDED`. */
  maxReactionsPerMessage: z.number().int().min(1).max(1_000).default(20),
  /** Chat rooms (`chat:create`) one user may own at a time; beyond it `LIMIT_EXCEEDED`. */
  maxRoomsPerUser: z.number().int().min(1).max(100_000).default(50),
  /** A chat room (and its history) expires this long after its last join or message (ms). */
  roomTtlMs: z.number().int().min(1_000).default(30 * 24 * 3600 * 1000),
  /**
   * Channels with more members than this (and `global:main`) get `chat:occupancy` at most once
   * a second instead of a `chat:member:joined` / `:left` per member.
   */
  largeChannelMembers: z.number().int().min(1).max(100_000).default(100),
  /** Words masked with `*` in messages (whole words, any case). */
  profanity: z.array(z.string().min(1).max(64)).max(10_000).default(['fuck', 'shit', 'bitch', 'asshole', 'cunt']),
});

export type ChatSettings = z.output<typeof schema>;

export const chatSettings = {
  schema,
  env: {
    CHAT_RETENTION: { key: 'retention', parse: envNumber },
    CHAT_DM_TTL_MS: { key: 'dmTtlMs', parse: envNumber },
    CHAT_DUPLICATE_WINDOW_MS: { key: 'duplicateWindowMs', parse: envNumber },
    CHAT_IDEMPOTENCY_MS: { key: 'idempotencyMs', parse: envNumber },
    CHAT_TYPING_MS: { key: 'typingMs', parse: envNumber },
    CHAT_CHANNEL_RATE_PER_SEC: { key: 'channelRatePerSec', parse: envNumber },
    CHAT_MAX_REACTIONS_PER_MESSAGE: { key: 'maxReactionsPerMessage', parse: envNumber },
    CHAT_MAX_ROOMS_PER_USER: { key: 'maxRoomsPerUser', parse: envNumber },
    CHAT_ROOM_TTL_MS: { key: 'roomTtlMs', parse: envNumber },
    CHAT_LARGE_CHANNEL_MEMBERS: { key: 'largeChannelMembers', parse: envNumber },
    CHAT_PROFANITY: { key: 'profanity', parse: envList },
    CHAT_PROFANITY_FILE: { key: 'profanity', parse: envLinesFile },
  },
} satisfies SettingsSpec<ChatSettings>;
