/**
 * The four modes as one radio group of cards (WAI-ARIA radio group pattern): Tab reaches the checked card, arrow keys
 * move and select, Home/End jump, Space selects. Selecting a card only shows its details; "Apply" switches.
 */
import { useId, useRef, type KeyboardEvent } from 'react';
import { MODE_IDS, MODE_NAMES, type ModeId } from './modes';
import { modeModel, type WhoSeesWhat } from './model';
import { LevelMeter } from './parts';

interface Props {
  model: WhoSeesWhat | undefined;
  /** The mode in force (badge "In use"). */
  current: ModeId | undefined;
  selected: ModeId | undefined;
  onSelect: (mode: ModeId) => void;
}

export function ModePicker({ model, current, selected, onSelect }: Props) {
  const id = useId();
  const cards = useRef<(HTMLDivElement | null)[]>([]);
  const tabbable = selected === undefined ? 0 : MODE_IDS.indexOf(selected);

  function move(to: number): void {
    const n = MODE_IDS.length;
    const index = (to + n) % n;
    const mode = MODE_IDS[index];
    if (mode === undefined) return;
    onSelect(mode);
    cards.current[index]?.focus();
  }

  function onKeyDown(event: KeyboardEvent, index: number): void {
    const keys: Record<string, () => void> = {
      ArrowRight: () => {
        move(index + 1);
      },
      ArrowDown: () => {
        move(index + 1);
      },
      ArrowLeft: () => {
        move(index - 1);
      },
      ArrowUp: () => {
        move(index - 1);
      },
      Home: () => {
        move(0);
      },
      End: () => {
        move(MODE_IDS.length - 1);
      },
      ' ': () => {
        move(index);
      },
    };
    const action = keys[event.key];
    if (action === undefined || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    action();
  }

  return (
    <div className="mode-picker-wrap">
      <h2 id={`${id}-title`} className="mode-picker-title">
        How Cove connects
      </h2>
      <div role="radiogroup" aria-labelledby={`${id}-title`} className="mode-picker">
        {MODE_IDS.map((mode, index) => {
          const m = model === undefined ? undefined : modeModel(model, mode);
          const speed = m?.tradeOffs.find((t) => t.aspect === 'speed');
          const checked = mode === selected;
          return (
            <div
              key={mode}
              ref={(el) => {
                cards.current[index] = el;
              }}
              role="radio"
              aria-checked={checked}
              aria-labelledby={mode === current ? `${id}-${mode}-name ${id}-${mode}-badge` : `${id}-${mode}-name`}
              aria-describedby={`${id}-${mode}-about`}
              tabIndex={index === tabbable ? 0 : -1}
              className={checked ? 'mode-card mode-card-checked' : 'mode-card'}
              onClick={() => {
                move(index);
              }}
              onKeyDown={(e) => {
                onKeyDown(e, index);
              }}
            >
              <span className="mode-card-head">
                <span className="mode-card-radio" aria-hidden="true" />
                <span id={`${id}-${mode}-name`} className="mode-card-name">
                  {MODE_NAMES[mode]}
                </span>
                {mode === current && (
                  <span id={`${id}-${mode}-badge`} className="mode-badge">
                    In use
                  </span>
                )}
              </span>
              <span id={`${id}-${mode}-about`} className="mode-card-about">
                <span className="mode-card-summary">{m?.summary ?? ''}</span>
                {speed !== undefined && <LevelMeter label="Speed" level={speed.level} words={speed.words} />}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
