import type { Message, Result } from '@tavern/protocol';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ChannelSync } from '../channel-sync.js';
import { createTypingNotifier } from '../typing.js';
import { useTavernClient } from './context.js';
import { toError, type TavernError } from './to-error.js';

export interface UseChannelOptions {
  /** Messages fetched with the join. @default 50 */
  historyLimit?: number;
  /** Older messages are dropped from `messages` beyond this many. @default 500 */
  maxMessages?: number;
}

export interface ChannelView {
  /** In `seq` order, each once, resumed across reconnects; edits and deletions applied. */
  messages: readonly Message[];
  /** Others typing in the channel now (the server expires an indicator after 5 s). */
  typingUsers: readonly { userId: string; name: string }[];
  joined: boolean;
  /** Why joining failed (e.g. `FORBIDDEN`), or null. */
  error: TavernError | null;
  /** Sends a message; safe to retry (one idempotency key per call). */
  send(content: string): Promise<Result<{ message: Message }>>;
  /** Call on every key press in the message box. */
  keystroke(): void;
  /** Ends this user's typing indicator (e.g. when the message is sent). */
  stopTyping(): void;
}

interface ChannelData {
  messages: readonly Message[];
  joined: boolean;
  error: TavernError | null;
}

const EMPTY: ChannelData = { messages: [], joined: false, error: null };

let sends = 0;
function newClientMsgId(): string {
  sends += 1;
  return `${Date.now().toString(36)}-${sends.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Joins a chat channel for as long as the component is mounted (`null`: none) and keeps
 * its messages and typing users current. Built on `ChannelSync`, so a reconnect (even to
 * another node) resumes without gaps or duplicates.
 */
export function useChannel(channelId: string | null, options: UseChannelOptions = {}): ChannelView {
  const client = useTavernClient();
  const historyLimit = options.historyLimit ?? 50;
  const maxMessages = options.maxMessages ?? 500;
  const [data, setData] = useState<ChannelData>(EMPTY);
  const [typing, setTyping] = useState<ReadonlyMap<string, string>>(new Map());
  const notifier = useMemo(() => (channelId ? createTypingNotifier(client, channelId) : null), [client, channelId]);

  useEffect(() => {
    if (!channelId) return;
    let active = true;
    const update = (change: (data: ChannelData) => ChannelData): void => {
      if (active) setData(change);
    };
    const keep = (messages: readonly Message[]): readonly Message[] => (messages.length > maxMessages ? messages.slice(-maxMessages) : messages);
    setData(EMPTY);
    setTyping(new Map());

    const reloadHistory = async (): Promise<void> => {
      const result = await client.request('chat:history', { channelId, limit: Math.min(100, Math.max(1, historyLimit)) });
      if (result.ok) update((data) => ({ ...data, messages: result.data.messages }));
    };
    const sync = new ChannelSync(client, {
      onMessages: (_channelId, messages) => update((data) => ({ ...data, messages: keep([...data.messages, ...messages]) })),
      onReload: () => void reloadHistory().catch(() => undefined),
    });
    sync.join(channelId, historyLimit).then(
      (result) => update((data) => (result.ok ? { messages: keep([...result.data.history, ...data.messages]), joined: true, error: null } : { ...data, error: result.error })),
      (error: unknown) => update((data) => ({ ...data, error: toError(error) })),
    );

    const stops = [
      client.on('chat:edited', (edit) => {
        if (edit.channelId !== channelId) return;
        update((data) => ({ ...data, messages: data.messages.map((m) => (m.id === edit.messageId ? { ...m, content: edit.content, editedAt: edit.editedAt } : m)) }));
      }),
      client.on('chat:deleted', (deletion) => {
        if (deletion.channelId !== channelId) return;
        update((data) => ({ ...data, messages: data.messages.filter((m) => m.id !== deletion.messageId) }));
      }),
      client.on('chat:typing', (event) => {
        if (event.channelId !== channelId || !active) return;
        setTyping((current) => {
          const next = new Map(current);
          if (event.typing) next.set(event.userId, event.name);
          else next.delete(event.userId);
          return next;
        });
      }),
      // A new connection starts with nobody typing; the server re-sends what is current.
      client.on('session:ready', () => active && setTyping(new Map())),
    ];
    return () => {
      active = false;
      for (const stop of stops) stop();
      if (client.state === 'connected') sync.leave(channelId).catch(() => undefined);
      sync.dispose();
    };
  }, [client, channelId, historyLimit, maxMessages]);

  useEffect(() => () => notifier?.stop(), [notifier]);

  const send = useCallback(
    (content: string) => {
      if (!channelId) return Promise.reject(new Error('useChannel: no channel to send to'));
      notifier?.stop();
      return client.request('chat:send', { channelId, content, clientMsgId: newClientMsgId() });
    },
    [client, channelId, notifier],
  );
  const typingUsers = useMemo(() => [...typing].map(([userId, name]) => ({ userId, name })), [typing]);

  return {
    ...data,
    typingUsers,
    send,
    keystroke: useCallback(() => notifier?.keystroke(), [notifier]),
    stopTyping: useCallback(() => notifier?.stop(), [notifier]),
  };
}
