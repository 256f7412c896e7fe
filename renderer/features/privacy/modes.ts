/** The four privacy modes as the picker shows them. The "who sees what" cards come from the core's model later. */
export const MODES = [
  { id: 'direct', label: 'Direct', hint: 'Fastest. The gateway operator and your network see your IP address.' },
  { id: 'socks5', label: 'SOCKS5', hint: 'Through your proxy. The proxy operator sees your IP; the gateway does not.' },
  { id: 'vpn', label: 'VPN', hint: 'Through your tunnel, with a kill switch. The VPN provider sees your IP.' },
  { id: 'tor', label: 'Tor', hint: 'Through Tor relays. No single party sees both your IP and your gateway.' },
] as const;

export type ModeId = (typeof MODES)[number]['id'];
