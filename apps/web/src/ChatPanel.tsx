import type { Message, Player } from '@tavern/client-sdk';
import { useChannel, useServerEvent, useTavernClient } from '@tavern/client-sdk/react';
import { useEffect, useRef, useState, type FormEvent } from 'react';

interface Props {
  zoneId: string | null;
  players: readonly Player[];
  whisperTo: string | null;
  onWhisperTo: (userId: string | null) => void;
}

/** Zone chat (history, resume, typing) plus whispers in the same log. */
export function ChatPanel({ zoneId, players, whisperTo, onWhisperTo }: Props) {
  const client = useTavernClient();
  const channel = useChannel(zoneId ? `zone:${zoneId}` : null);
  const [whispers, setWhispers] = useState<readonly Message[]>([]);
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const log = useRef<HTMLOListElement>(null);

  useServerEvent('chat:message', (message) => {
    if (message.channelId.startsWith('dm:')) setWhispers((current) => (current.some((m) => m.id === message.id) ? current : [...current, message]));
  });

  const shown = [...channel.messages, ...whispers].sort((a, b) => a.createdAt - b.createdAt);
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [shown.length]);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const content = draft.trim();
    if (!content) return;
    setDraft('');
    setProblem(null);
    try {
      if (whisperTo) {
        const result = await client.request('chat:whisper', { toUserId: whisperTo, content, clientMsgId: crypto.randomUUID() });
        if (result.ok) setWhispers((current) => (current.some((m) => m.id === result.data.message.id) ? current : [...current, result.data.message]));
        else setProblem(result.error.message);
      } else {
        const result = await channel.send(content);
        if (!result.ok) setProblem(result.error.message);
      }
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  const typing = channel.typingUsers.map((user) => user.name);
  return (
    <section className="chat">
      <ol ref={log} data-testid="chat-log">
        {shown.map((message) => (
          <li key={message.id} className={message.channelId.startsWith('dm:') ? 'whisper' : undefined} data-testid="chat-message">
            <b>{message.senderName}</b>
            {message.channelId.startsWith('dm:') && <i> (whisper)</i>}: {message.content}
          </li>
        ))}
      </ol>
      <div className="typing" data-testid="typing">
        {typing.length > 0 && `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`}
      </div>
      <form onSubmit={(event) => void send(event)}>
        <select aria-label="to" data-testid="chat-to" value={whisperTo ?? ''} onChange={(event) => onWhisperTo(event.target.value || null)}>
          <option value="">zone</option>
          {players.map((player) => (
            <option key={player.userId} value={player.userId}>
              whisper {player.name}
            </option>
          ))}
        </select>
        <input
          data-testid="chat-input"
          placeholder={whisperTo ? 'Whisper…' : 'Say something to the zone…'}
          maxLength={2000}
          value={draft}
          onChange={(event) => {
            setDraft(event.target.value);
            if (!whisperTo) channel.keystroke();
          }}
        />
        <button type="submit">Send</button>
      </form>
      {(problem ?? channel.error) && <p className="problem">{problem ?? channel.error?.message}</p>}
    </section>
  );
}
