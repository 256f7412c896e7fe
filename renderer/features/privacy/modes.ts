/** The four privacy modes the picker offers, in the order it shows them (what each one reveals comes from the core). */
import type { ModeIdValue } from '../../../src/api/contract';

export type ModeId = ModeIdValue;

export const MODE_IDS = ['direct', 'socks5', 'vpn', 'tor'] as const satisfies readonly ModeId[];

/** Short names for the picker, the sidebar status and the connections table. */
export const MODE_NAMES: Record<ModeId, string> = { direct: 'Direct', socks5: 'SOCKS5', vpn: 'VPN', tor: 'Tor' };

/** "to Tor", "to your SOCKS5 proxy": how a switch is described. */
export const MODE_TARGETS: Record<ModeId, string> = {
  direct: 'a direct connection',
  socks5: 'your SOCKS5 proxy',
  vpn: 'your VPN',
  tor: 'Tor',
};

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
