import { STATE_HINT, STATE_LABEL, type MessageState } from './format';

const TICK = 'M1 8.5 4.5 12 11 4';
/** The second tick, to the right of the first (two ticks: delivered; blue: read). */
const TICK2 = 'M6.5 10 8.5 12 15 4';

/**
 * The delivery state of an outgoing message: a clock while it waits, one tick once sent (and on the server), two
 * ticks once delivered, two blue ticks once read. Each has an accessible name and a tooltip.
 */
export function Ticks({ state }: { state: MessageState }) {
  return (
    <span className={`ticks ticks-${state}`} role="img" aria-label={STATE_LABEL[state]} title={STATE_HINT[state]} data-state={state}>
      <svg viewBox="0 0 18 16" width="18" height="16" aria-hidden="true" focusable="false">
        {state === 'queued' ? (
          <>
            <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" strokeWidth="1.5" />
            <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
          </>
        ) : (
          <>
            <path d={TICK} fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
            {(state === 'delivered' || state === 'read') && <path d={TICK2} fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />}
          </>
        )}
      </svg>
      {state === 'acked' && <span className="ticks-note">on server</span>}
    </span>
  );
}
