import { usePokerSession } from '@tavern/client-sdk/react';
import { useState, type FormEvent } from 'react';

const TABLE = 'tavern-square';

/** A planning-poker table beside the square: join, vote, and (as facilitator) reveal. */
export function PokerPanel({ name, me }: { name: string; me: string }) {
  const [seated, setSeated] = useState(false);
  const poker = usePokerSession(seated ? TABLE : null, { name });
  const [story, setStory] = useState('');
  const session = poker.session;
  const facilitator = session?.facilitatorId === me;

  const submitStory = (event: FormEvent) => {
    event.preventDefault();
    if (story.trim()) void poker.setStory(story.trim());
    setStory('');
  };

  if (!seated) {
    return (
      <section className="panel" data-testid="poker">
        <h2>Planning poker</h2>
        <button data-testid="poker-join" onClick={() => setSeated(true)}>
          Sit at the table
        </button>
      </section>
    );
  }
  return (
    <section className="panel" data-testid="poker">
      <h2>Planning poker {facilitator && <small>(you facilitate)</small>}</h2>
      <p data-testid="poker-story">{session?.story ? session.story.title : 'No story yet.'}</p>
      {facilitator && (
        <form onSubmit={submitStory}>
          <input data-testid="poker-story-input" placeholder="Next story" value={story} onChange={(event) => setStory(event.target.value)} />
          <button type="submit">Set</button>
        </form>
      )}
      <ul data-testid="poker-players">
        {session?.players.map((player) => {
          const vote = session.votes?.find((v) => v.playerId === player.id);
          return (
            <li key={player.id} data-testid="poker-player" data-voted={player.hasVoted ? 'yes' : 'no'} className={player.connected ? undefined : 'muted'}>
              {player.name} {vote ? <b data-testid="poker-vote">{vote.value}</b> : player.hasVoted ? '✓' : '…'}
            </li>
          );
        })}
      </ul>
      {session?.story && !session.revealed && (
        <div className="deck">
          {session.deck.map((card) => (
            <button key={card} data-testid="poker-card" className={poker.myVote === card ? 'chosen' : undefined} onClick={() => void poker.vote(card)}>
              {card}
            </button>
          ))}
        </div>
      )}
      {session?.revealed && session.consensus && (
        <p data-testid="poker-consensus">
          average {session.consensus.average ?? '–'}, agreement {Math.round(session.consensus.agreement * 100)}%
        </p>
      )}
      {facilitator && session?.story && (
        <p>
          <button data-testid="poker-reveal" disabled={session.revealed} onClick={() => void poker.reveal()}>
            Reveal
          </button>{' '}
          <button onClick={() => void poker.reset()}>New round</button>
        </p>
      )}
      {poker.error && <p className="problem">{poker.error.message}</p>}
      <button onClick={() => setSeated(false)}>Leave the table</button>
    </section>
  );
}
