/** The four privacy modes (no imports: the contract and the renderer use it too). */
export type ModeId = 'direct' | 'socks5' | 'vpn' | 'tor';
