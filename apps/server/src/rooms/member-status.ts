/**
 * The status others see on a `Member`: the one function every member list and member event
 * goes through, so no handler can show an invisible or busy user as `online`.
 */
import type { Member, PresenceStatus } from '@tavern/protocol';

/** What answers visible statuses (the presence service, when that feature runs). */
export interface StatusSource {
  statuses(userIds: readonly string[]): Promise<ReadonlyMap<string, PresenceStatus>>;
  /**
   * Changes whenever an answer of `statuses` may have changed; undefined when the source
   * cannot tell (other nodes change statuses too). Lets a caller that lists the same members
   * again and again reuse its last answer while this stays the same.
   */
  version?(): number | undefined;
}

/**
 * `members` with the status others may see (invisible users are `offline`). Without a
 * status source (no presence feature) everyone is `online`: nothing else is known.
 *
 * @example
 * const [from] = await withStatus(services.find('presence'), [{ userId: user.userId, name: user.name }]);
 */
export async function withStatus<T extends { userId: string }>(source: StatusSource | undefined, members: readonly T[]): Promise<(T & { status: PresenceStatus })[]> {
  const statuses = source && members.length > 0 ? await source.statuses(members.map((member) => member.userId)) : undefined;
  return members.map((member) => ({ ...member, status: statuses?.get(member.userId) ?? 'online' }));
}

/** Listing order: online members first, then away, busy, and those who look offline. */
const LISTING_ORDER: readonly PresenceStatus[] = ['online', 'away', 'busy', 'offline', 'invisible'];

/**
 * The first `limit` of `members` in listing order (online first), each with the status others
 * may see: `withStatus` for a long list of which a few are shown. It builds only the members
 * it returns, so a channel's join ack costs O(listed), not an object per candidate.
 */
export async function listByStatus(source: StatusSource | undefined, members: readonly { userId: string; name: string }[], limit: number): Promise<Member[]> {
  if (!source || members.length === 0) return members.slice(0, limit).map(({ userId, name }) => ({ userId, name, status: 'online' }));
  const statuses = await source.statuses(members.map((member) => member.userId));
  const listed: Member[] = [];
  for (const status of LISTING_ORDER) {
    for (const { userId, name } of members) {
      if (listed.length === limit) return listed;
      if ((statuses.get(userId) ?? 'online') === status) listed.push({ userId, name, status });
    }
  }
  return listed;
}
