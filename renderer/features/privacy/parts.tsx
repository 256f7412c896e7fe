/** Small pieces the privacy screen and the sidebar status share. */
import type { TorStatus } from '../../../src/api/contract';

/** Tor's bootstrap progress, 0–100, as tor reports it (BOOTSTRAP status events) with its summary. */
export function TorProgress({ tor, compact = false }: { tor: TorStatus; compact?: boolean }) {
  const value = Math.round(Math.min(100, Math.max(0, tor.progress)));
  return (
    <div className={compact ? 'tor-progress tor-progress-compact' : 'tor-progress'}>
      <div
        className="tor-progress-track"
        role="progressbar"
        aria-label="Connecting to Tor"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-valuetext={tor.summary === '' ? `${value} %` : `${value} %: ${tor.summary}`}
      >
        <div className="tor-progress-fill" style={{ width: `${value}%` }} />
      </div>
      {!compact && (
        <p className="tor-progress-text">
          <span className="tor-progress-value">{value} %</span> {tor.summary}
        </p>
      )}
    </div>
  );
}

/** A 1–5 level as five dots (decorative) with its words; `label` says what is measured ("Speed"). */
export function LevelMeter({ label, level, words }: { label: string; level: number; words: string }) {
  return (
    <span className="level">
      <span className="level-label">{label}:</span>{' '}
      <span className="level-dots" aria-hidden="true">
        {[1, 2, 3, 4, 5].map((n) => (
          <span key={n} className={n <= level ? 'level-dot level-dot-on' : 'level-dot'} />
        ))}
      </span>
      <span className="privacy-sr-only">{level} of 5.</span> <span className="level-words">{words}</span>
    </span>
  );
}
