/** Typed values of the privacy contract for component tests (the privacy and connections screens). */
import type { ModeStatus, OpOutput, TorStatus } from '../../src/api/contract';
import { WHO_SEES_WHAT } from '../../src/net/who-sees-what';

/** The core's real who-sees-what data (plain data and zod: nothing of Node's), as `whoSeesWhat` answers it. */
export const MODEL: OpOutput<'whoSeesWhat'> = WHO_SEES_WHAT;

export function modeStatus(mode: ModeStatus['mode'], extra: Partial<ModeStatus> = {}): ModeStatus {
  return { mode, phase: 'ready', ...extra };
}

export function torStatus(extra: Partial<TorStatus> = {}): TorStatus {
  return {
    state: 'bootstrapping',
    progress: 10,
    summary: 'Finishing handshake with directory server',
    version: '0.4.8.16',
    outdated: false,
    bridges: { enabled: false, lines: [] },
    ...extra,
  };
}

/** The label the model gives a party, for expectations written against the data. */
export function partyLabel(id: string): string {
  const found = WHO_SEES_WHAT.parties.find((p) => p.id === id);
  if (found === undefined) throw new Error(`no party ${id}`);
  return found.label;
}
