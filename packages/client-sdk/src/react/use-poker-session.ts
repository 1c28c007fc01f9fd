import type { ClientPayload, PokerSession, Result } from '@tavern/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { followPokerSession } from '../poker-state.js';
import { SessionTracker } from '../resubscribe.js';
import { useTavernClient } from './context.js';
import { toError, type TavernError } from './to-error.js';

export type PokerJoinOptions = Omit<ClientPayload<'poker:join'>, 'sessionId'>;

export interface PokerSessionView {
  /** The table as it is now: players, who has voted, the story, and after a reveal the votes. */
  session: PokerSession | null;
  /** This user's vote in the current round (votes of others stay hidden until the reveal). */
  myVote: string | null;
  error: TavernError | null;
  /** Votes on the current story (rejects when there is none yet). */
  vote(value: string, confidence?: number): Promise<Result<Record<string, never>>>;
  /** Facilitator only. */
  reveal(): Promise<Result<Record<string, never>>>;
  /** Facilitator only: clears the votes. */
  reset(): Promise<Result<Record<string, never>>>;
  /** Facilitator only: a new story, which clears the votes. */
  setStory(title: string, description?: string): Promise<Result<unknown>>;
}

/**
 * Joins a planning-poker session while mounted (`null`: none), keeps its state current from
 * the server's events, and joins again after a reconnect (the vote is kept).
 */
export function usePokerSession(sessionId: string | null, join: PokerJoinOptions = {}): PokerSessionView {
  const client = useTavernClient();
  const [session, setSession] = useState<PokerSession | null>(null);
  const [myVote, setMyVote] = useState<string | null>(null);
  const [error, setError] = useState<TavernError | null>(null);
  const current = useRef<PokerSession | null>(null);
  // Joining again with new options is not a new session: read them when (re)joining.
  const joinOptions = useRef(join);
  joinOptions.current = join;

  useEffect(() => {
    current.current = null;
    setSession(null);
    setMyVote(null);
    setError(null);
    if (!sessionId) return;
    let active = true;
    const show = (next: PokerSession): void => {
      if (!active) return;
      current.current = next;
      setSession(next);
    };
    const tracker = new SessionTracker(client);
    tracker.poker(sessionId, joinOptions.current, show).then(
      (result) => active && !result.ok && setError(result.error),
      (failure: unknown) => active && setError(toError(failure)),
    );
    const stopFollowing = followPokerSession(client, sessionId, () => current.current, show);
    const clearMine = ({ sessionId: id }: { sessionId: string }): void => {
      if (active && id === sessionId) setMyVote(null);
    };
    const stops = [client.on('poker:reset', clearMine), client.on('poker:story', clearMine)];
    return () => {
      active = false;
      stopFollowing();
      for (const stop of stops) stop();
      tracker.dispose();
      if (client.state === 'connected') client.request('poker:leave', { sessionId }, { queue: false }).catch(() => undefined);
    };
  }, [client, sessionId]);

  const withSession = useCallback(
    <T>(run: (sessionId: string) => Promise<T>): Promise<T> => (sessionId ? run(sessionId) : Promise.reject(new Error('usePokerSession: no session'))),
    [sessionId],
  );
  const vote = useCallback(
    (value: string, confidence?: number) =>
      withSession(async (id) => {
        const storyId = current.current?.story?.id;
        if (storyId === undefined) throw new Error('usePokerSession: there is no story to vote on yet');
        const result = await client.request('poker:vote', { sessionId: id, storyId, value, ...(confidence !== undefined && { confidence }) });
        if (result.ok) setMyVote(value);
        return result;
      }),
    [client, withSession],
  );
  const reveal = useCallback(() => withSession((id) => client.request('poker:reveal', { sessionId: id })), [client, withSession]);
  const reset = useCallback(() => withSession((id) => client.request('poker:reset', { sessionId: id })), [client, withSession]);
  const setStory = useCallback(
    (title: string, description?: string) => withSession((id) => client.request('poker:story', { sessionId: id, title, ...(description !== undefined && { description }) })),
    [client, withSession],
  );

  return { session, myVote, error, vote, reveal, reset, setStory };
}
