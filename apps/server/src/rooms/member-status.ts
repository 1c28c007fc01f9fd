/**
 * The status others see on a `Member`: the one function every member list and member event
 * goes through, so no handler can show an invisible or busy user as `online`.
 */
import type { PresenceStatus } from '@tavern/protocol';

/** What answers visible statuses (the presence service, when that feature runs). */
export interface StatusSource {
  statuses(userIds: readonly string[]): Promise<ReadonlyMap<string, PresenceStatus>>;
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
