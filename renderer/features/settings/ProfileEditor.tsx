import { useId, useState } from 'react';
import { call } from '../../app/api';
import { errorText } from '../onboarding/errors';

const MAX_PICTURE_BYTES = 64 * 1024;

/** Our nickname (vCard4) and picture (XEP-0084), published for the contacts who may see our presence. */
export function ProfileEditor({ accountId }: { accountId: number }) {
  const id = useId();
  const [nickname, setNickname] = useState('');
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setStatus(null);
    try {
      await work();
      setStatus({ kind: 'ok', text: done });
    } catch (err) {
      setStatus({ kind: 'error', text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  const saveNickname = (e: { preventDefault: () => void }) => {
    e.preventDefault();
    if (nickname.trim() === '') return;
    void run(() => call('setNickname', { accountId, nickname: nickname.trim() }), 'Nickname published.');
  };

  const pickPicture = (file: File | undefined) => {
    if (file === undefined) return;
    if (file.type !== 'image/png' && file.type !== 'image/jpeg') {
      setStatus({ kind: 'error', text: 'The picture must be a PNG or JPEG image.' });
      return;
    }
    if (file.size > MAX_PICTURE_BYTES) {
      setStatus({ kind: 'error', text: 'The picture is too big (at most 64 KiB).' });
      return;
    }
    void run(async () => {
      const reader = new FileReader();
      const dataUrl = await new Promise<string>((resolve, reject) => {
        reader.onload = () => {
          resolve(typeof reader.result === 'string' ? reader.result : '');
        };
        reader.onerror = () => {
          reject(new Error('The picture could not be read.'));
        };
        reader.readAsDataURL(file);
      });
      await call('setAvatar', { accountId, dataUrl });
    }, 'Picture published.');
  };

  return (
    <form className="profile-editor" onSubmit={saveNickname} aria-label="Your profile">
      <div className="field">
        <label htmlFor={`${id}-nick`}>Your nickname</label>
        <input id={`${id}-nick`} value={nickname} maxLength={256} onChange={(e) => { setNickname(e.target.value); }} />
        <p className="field-hint">Shown to your contacts instead of your address.</p>
      </div>
      <div className="row">
        <button type="submit" className="button" disabled={busy || nickname.trim() === ''}>
          Publish nickname
        </button>
        <label className="button" htmlFor={`${id}-pic`}>
          Choose a picture…
        </label>
        <input id={`${id}-pic`} className="visually-hidden" type="file" accept="image/png,image/jpeg" disabled={busy} onChange={(e) => { pickPicture(e.target.files?.[0]); }} />
      </div>
      {status !== null && (
        <p role={status.kind === 'error' ? 'alert' : 'status'} className={status.kind === 'error' ? 'notice notice-danger' : 'small muted'}>
          {status.text}
        </p>
      )}
    </form>
  );
}
