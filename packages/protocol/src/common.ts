/** Shapes shared by several domains. */
import { z } from 'zod';
import { ID_PATTERN } from './room-names.js';

export { ID_PATTERN };

/** Ids are 1–64 characters from `[A-Za-z0-9_.-]`. */
export const Id = z.string().regex(ID_PATTERN, 'an id is 1-64 characters of A-Z a-z 0-9 _ . -');
export type Id = z.infer<typeof Id>;

/** Integer epoch milliseconds. */
export const Timestamp = z.number().int().nonnegative();

/** Sequence numbers are positive integers; 0 means "nothing yet" where a cursor is expected. */
export const Seq = z.number().int().positive();
export const Cursor = z.number().int().nonnegative();

/** A display name: 1–64 characters. */
export const DisplayName = z.string().trim().min(1).max(64);

export const PresenceStatus = z.enum(['online', 'away', 'busy', 'invisible', 'offline']);
export type PresenceStatus = z.infer<typeof PresenceStatus>;

export const Member = z.object({
  userId: Id,
  name: z.string(),
  status: PresenceStatus,
});
export type Member = z.infer<typeof Member>;

export const Empty = z.object({});
export type Empty = z.infer<typeof Empty>;

export const Point = z.object({ x: z.number(), y: z.number() });
export type Point = z.infer<typeof Point>;
