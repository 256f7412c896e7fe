/**
 * Reading the core's "who sees what" model (src/net/who-sees-what.ts, served by the `whoSeesWhat` operation) for the
 * picker: who knows your IP address in a mode, what every party that takes part learns, and what the mode costs.
 * Only parties that take part in a mode are named (saying a VPN provider cannot see you in Direct mode says nothing).
 */
import type { FactId, Knows, PartyId, PrivacyModeId, TradeOff, WhoSeesWhat } from '../../../src/net/who-sees-what-schema';

export type { PrivacyModeId, WhoSeesWhat };
export type ModeModel = WhoSeesWhat['modes'][number];

export interface PartyLine {
  party: PartyId;
  label: string;
  why: string;
}

export interface IpSummary {
  knownTo: PartyLine[];
  partlyKnownTo: PartyLine[];
  hiddenFrom: PartyLine[];
}

export interface FactsRow {
  party: PartyId;
  label: string;
  role: string;
  cells: { fact: FactId; knows: Knows; why: string }[];
}

export function modeModel(model: WhoSeesWhat, mode: PrivacyModeId): ModeModel | undefined {
  return model.modes.find((m) => m.mode === mode);
}

function partyLabel(model: WhoSeesWhat, party: PartyId): string {
  return model.parties.find((p) => p.id === party)?.label ?? party;
}

/** Who, among the parties involved in `mode`, knows the user's IP address, partly knows it, or does not. */
export function ipSummary(model: WhoSeesWhat, mode: PrivacyModeId): IpSummary {
  const summary: IpSummary = { knownTo: [], partlyKnownTo: [], hiddenFrom: [] };
  for (const view of modeModel(model, mode)?.parties ?? []) {
    if (!view.involved) continue;
    const statement = view.sees.find((s) => s.fact === 'ip-address');
    if (statement === undefined) continue;
    const line = { party: view.party, label: partyLabel(model, view.party), why: statement.why };
    if (statement.knows === 'yes') summary.knownTo.push(line);
    else if (statement.knows === 'partly') summary.partlyKnownTo.push(line);
    else summary.hiddenFrom.push(line);
  }
  return summary;
}

/** The facts other than the IP address, for the compact table. */
export function otherFacts(model: WhoSeesWhat): WhoSeesWhat['facts'] {
  return model.facts.filter((f) => f.id !== 'ip-address');
}

/** One row per party involved in `mode`: what it learns of every fact but the IP address. */
export function factsRows(model: WhoSeesWhat, mode: PrivacyModeId): FactsRow[] {
  const facts = otherFacts(model);
  return (modeModel(model, mode)?.parties ?? [])
    .filter((view) => view.involved)
    .map((view) => ({
      party: view.party,
      label: partyLabel(model, view.party),
      role: view.role,
      cells: facts.map((f) => {
        const s = view.sees.find((x) => x.fact === f.id);
        return { fact: f.id, knows: s?.knows ?? 'no', why: s?.why ?? '' };
      }),
    }));
}

export function tradeOff(model: WhoSeesWhat, mode: PrivacyModeId, aspect: TradeOff['aspect']): TradeOff | undefined {
  return modeModel(model, mode)?.tradeOffs.find((t) => t.aspect === aspect);
}

export const ASPECT_NAMES: Record<TradeOff['aspect'], string> = {
  speed: 'Speed',
  startup: 'Start-up',
  reliability: 'Reliability',
  protection: 'Protection',
};

export const KNOWS_WORDS: Record<Knows, string> = { yes: 'Yes', partly: 'Partly', no: 'No' };

/** "A", "A and B", "A, B and C". */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}
