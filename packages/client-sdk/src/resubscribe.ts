/**
 * Shared sessions that must survive a reconnect: lobbies and planning-poker sessions. After
 * every reconnect the client subscribes again and hands the app the state as it is now
 * (what changed while it was away included).
 *
 * @example
 * const sessions = new SessionTracker(client);
 * sessions.lobby(lobbyId, (lobby) => renderLobby(lobby));
 * await sessions.poker('sprint-42', { role: 'player' }, (session) => renderTable(session));
 */
import type { ClientPayload, Lobby, PokerSession, Result } from '@tavern/protocol';
import type { TavernClient } from './create-client.js';

type PokerJoin = Omit<ClientPayload<'poker:join'>, 'sessionId'>;

export class SessionTracker {
  private readonly lobbies = new Map<string, (lobby: Lobby) => void>();
  private readonly pokers = new Map<string, { join: PokerJoin; onState: (session: PokerSession) => void }>();
  private readonly stops: (() => void)[] = [];

  constructor(private readonly client: TavernClient) {
    this.stops.push(
      client.on('session:ready', () => void this.refresh()),
      client.on('lobby:update', ({ lobby }) => this.lobbies.get(lobby.id)?.(lobby)),
    );
  }

  /**
   * Follows a lobby the user is a member of: `onState` gets its current state now and after
   * every reconnect. Resolves with the first subscription's result.
   */
  async lobby(lobbyId: string, onState: (lobby: Lobby) => void): Promise<Result<{ lobby: Lobby }>> {
    this.lobbies.set(lobbyId, onState);
    return this.subscribeLobby(lobbyId);
  }

  /**
   * Joins a poker session and follows it; joining again after a reconnect keeps the vote.
   * Resolves with the first join's result.
   */
  async poker(sessionId: string, join: PokerJoin, onState: (session: PokerSession) => void): Promise<Result<{ session: PokerSession }>> {
    this.pokers.set(sessionId, { join, onState });
    return this.joinPoker(sessionId, { join, onState });
  }

  forget(id: string): void {
    this.lobbies.delete(id);
    this.pokers.delete(id);
  }

  dispose(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  private async subscribeLobby(lobbyId: string): Promise<Result<{ lobby: Lobby }>> {
    const result = await this.client.request('lobby:subscribe', { lobbyId });
    if (result.ok) this.lobbies.get(lobbyId)?.(result.data.lobby);
    else if (result.error.code === 'NOT_FOUND' || result.error.code === 'FORBIDDEN') this.lobbies.delete(lobbyId); // closed, or no longer a member
    return result;
  }

  private async joinPoker(sessionId: string, tracked: { join: PokerJoin; onState: (session: PokerSession) => void }): Promise<Result<{ session: PokerSession }>> {
    const result = await this.client.request('poker:join', { sessionId, ...tracked.join });
    if (result.ok) tracked.onState(result.data.session);
    return result;
  }

  private async refresh(): Promise<void> {
    await Promise.all([
      ...[...this.lobbies.keys()].map((lobbyId) => this.subscribeLobby(lobbyId).catch(() => undefined)),
      ...[...this.pokers].map(([sessionId, tracked]) => this.joinPoker(sessionId, tracked).catch(() => undefined)),
    ]);
  }
}
