import { useState, type RefObject } from 'react';
import { codeGroups } from './validate';

/** The backup code, large and grouped by four for copying onto paper, with a Copy button when the clipboard works. */
export function BackupCodeBox({ code }: { code: string }) {
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');
  const groups = codeGroups(code);
  const clipboard = (navigator as { clipboard?: Clipboard }).clipboard;
  const onCopy = async () => {
    try {
      if (clipboard === undefined) throw new Error('no clipboard');
      await clipboard.writeText(code);
      setCopy('copied');
    } catch {
      setCopy('failed');
    }
  };
  return (
    <div className="backup">
      <div role="group" aria-label="Backup code" className="backup-code">
        <code>
          {groups.map((g, i) => (
            <span key={i} className="backup-group">
              {g}
              {i < groups.length - 1 ? ' ' : ''}
            </span>
          ))}
        </code>
      </div>
      <div className="row">
        {clipboard !== undefined && (
          <button type="button" className="button" onClick={() => void onCopy()}>
            Copy
          </button>
        )}
        <span role="status" className="small muted">
          {copy === 'copied' ? 'Copied. Paste it somewhere only you can reach, or better, write it on paper.' : copy === 'failed' ? 'Cove could not copy it: select the code and copy it yourself.' : ''}
        </span>
      </div>
    </div>
  );
}

/** Step 5: the code to write down, confirmed before the app opens. */
export function BackupStep({ code, headingRef, onDone }: { code: string; headingRef: RefObject<HTMLHeadingElement | null>; onDone: () => void }) {
  const [wrote, setWrote] = useState(false);
  return (
    <form
      className="onboarding-step"
      onSubmit={(e) => {
        e.preventDefault();
        if (wrote) onDone();
      }}
    >
      <h2 ref={headingRef} tabIndex={-1}>
        Write down your backup code
      </h2>
      <p>
        This code unlocks your encryption key on another computer, or here after a reinstall. Without it, messages sent to
        your key cannot be read anywhere else. Cove shows it only now: keep it on paper, somewhere safe.
      </p>
      <BackupCodeBox code={code} />
      <label className="check">
        <input
          type="checkbox"
          checked={wrote}
          onChange={(e) => {
            setWrote(e.target.checked);
          }}
        />
        I wrote it down
      </label>
      <div className="onboarding-actions">
        <button type="submit" className="button button-primary" disabled={!wrote}>
          Start chatting
        </button>
      </div>
    </form>
  );
}
