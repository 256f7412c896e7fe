import { MODES } from './modes';
import { usePrivacy } from './store';

export function ModePicker() {
  const selected = usePrivacy((s) => s.selected);
  const select = usePrivacy((s) => s.select);
  return (
    <fieldset className="mode-picker">
      <legend>Privacy mode</legend>
      {MODES.map((m) => (
        <label key={m.id} className={m.id === selected ? 'mode mode-selected' : 'mode'}>
          <input
            type="radio"
            name="privacy-mode"
            value={m.id}
            checked={m.id === selected}
            onChange={() => {
              select(m.id);
            }}
          />
          <span className="mode-label">{m.label}</span>
          <span className="mode-hint">{m.hint}</span>
        </label>
      ))}
    </fieldset>
  );
}
