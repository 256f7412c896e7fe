/**
 * The privacy mode at a glance, always in the sidebar: which mode, whether it is switching or failed, and in Tor mode
 * a small bootstrap bar until Tor is ready. Live from the 'mode' and 'tor' events; a click opens the privacy screen.
 */
import type { ModeStatus, TorStatus } from '../../../src/api/contract';
import { useNav } from '../../app/nav';
import { MODE_NAMES } from './modes';
import { TorProgress } from './parts';
import { usePrivacy, usePrivacyLive } from './store';
import './privacy.css';

type Tone = 'ok' | 'busy' | 'bad';

function describe(status: ModeStatus | undefined, tor: TorStatus | undefined): { mode: string; detail: string; tone: Tone } {
  if (status === undefined) return { mode: '…', detail: 'Checking', tone: 'busy' };
  if (status.phase === 'switching') return { mode: MODE_NAMES[status.to ?? status.mode], detail: 'Switching…', tone: 'busy' };
  if (status.phase === 'failed') return { mode: MODE_NAMES[status.to ?? status.mode], detail: 'Failed: nothing is sent', tone: 'bad' };
  if (status.mode === 'vpn' && status.vpn?.holding === true) return { mode: 'VPN', detail: 'Holding connections', tone: 'bad' };
  if (status.mode !== 'tor') return { mode: MODE_NAMES[status.mode], detail: 'Ready', tone: 'ok' };
  if (tor === undefined) return { mode: 'Tor', detail: 'Checking Tor', tone: 'busy' };
  if (tor.state === 'ready' && tor.progress >= 100) return { mode: 'Tor', detail: 'Tor ready', tone: 'ok' };
  if (tor.state === 'down') return { mode: 'Tor', detail: 'Tor is down: nothing is sent', tone: 'bad' };
  if (tor.state === 'failed') return { mode: 'Tor', detail: 'Tor failed: nothing is sent', tone: 'bad' };
  return { mode: 'Tor', detail: `Connecting ${Math.round(tor.progress)} %`, tone: 'busy' };
}

export function PrivacyStatus() {
  usePrivacyLive();
  const status = usePrivacy((s) => s.status);
  const tor = usePrivacy((s) => s.tor);
  const go = useNav((s) => s.go);
  const { mode, detail, tone } = describe(status, tor);
  const torMode = status?.mode === 'tor' || (status?.phase === 'switching' && status.to === 'tor');
  const showBar = torMode && tor !== undefined && tor.state !== 'off' && tor.state !== 'failed' && !(tor.state === 'ready' && tor.progress >= 100);
  return (
    <div className={`privacy-status privacy-status-${tone}`}>
      <button
        type="button"
        className="privacy-status-button"
        onClick={() => {
          go('privacy');
        }}
      >
        <span className="privacy-status-label">Privacy</span>
        <span className="privacy-status-mode">{mode}</span>
        <span className="privacy-status-detail">{detail}</span>
      </button>
      {showBar && <TorProgress tor={tor} compact />}
    </div>
  );
}
