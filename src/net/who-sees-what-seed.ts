/**
 * The statements of the seed text ("Haven: Privacy and security", /work/shared/seeds/haven-privacy-and-security.txt)
 * that the who-sees-what model follows or, where XMPP differs from Haven's mixnet, departs from. Each has a short
 * label (what the UI shows as the source) and the seed's words verbatim (a test checks them against the seed text).
 *
 * How Haven maps onto Cove: Haven's "xx Network gateways" are Cove's XMPP servers (the gateway), Haven's "Web server"
 * is Cove's directory / web server (not in the path of messages). One thing does NOT carry over: xx Network mixes
 * traffic so that no gateway knows who talks to whom; an XMPP server handles its users' accounts and sees their JIDs.
 */
import { z } from 'zod';

export const SEED_TITLE = 'Haven: Privacy and security';

export const SeedStatementIdSchema = z.enum([
  'regular-exposes-ip',
  'proxy-hides-ip',
  'top-privacy-not-identified',
  'tor-more-secure-slower',
  'vpn-less-secure-faster',
  'routing-impacts-ux',
  'proxy-only-hides-ip',
  'proxy-latency-timeouts',
  'direct-fastest',
  'direct-gateway-knows-use',
  'web-proxy-hides-ip',
  'web-proxy-slower-start',
  'web-direct-fastest-start',
  'web-direct-identifies-ip',
  'connections-only-via-proxy',
  'web-not-in-message-path',
  'ip-logged',
]);
export type SeedStatementId = z.infer<typeof SeedStatementIdSchema>;

export const SeedStatementSchema = z.object({
  id: SeedStatementIdSchema,
  /** Short, for the UI: "Haven: proxy hides client IP from gateways". */
  label: z.string().min(1),
  /** The seed's own words, verbatim. */
  quote: z.string().min(1),
});
export type SeedStatement = z.infer<typeof SeedStatementSchema>;

export const SEED_STATEMENTS: Readonly<Record<SeedStatementId, SeedStatement>> = {
  'regular-exposes-ip': {
    id: 'regular-exposes-ip',
    label: "Haven: regular (direct) approach exposes the client's IP to the web server and the gateways",
    quote: "Regular approach: exposes client's IP to the Web server operator and to xx Network gateways.",
  },
  'proxy-hides-ip': {
    id: 'proxy-hides-ip',
    label: 'Haven: proxy hides client IP from gateways (and from the web server)',
    quote: "This option hides the client's IP from the Web server operator and also from the community-operated xx Network gateways.",
  },
  'top-privacy-not-identified': {
    id: 'top-privacy-not-identified',
    label: 'Haven: Tor or a VPN does not identify you as a user and hides your IP from the gateways',
    quote: "This doesn't identify you to Haven Web site owner or 3rd parties as a Haven user and also hides your client IP from the xx Network gateways.",
  },
  'tor-more-secure-slower': {
    id: 'tor-more-secure-slower',
    label: 'Haven: Tor more secure, but slower',
    quote: 'The Onion Router (aka Tor; more secure, but slower)',
  },
  'vpn-less-secure-faster': {
    id: 'vpn-less-secure-faster',
    label: 'Haven: VPN less secure but faster than Tor',
    quote: 'or a VPN (less secure, but faster)',
  },
  'routing-impacts-ux': {
    id: 'routing-impacts-ux',
    label: 'Haven: routing all traffic via Tor or a VPN may impact user experience',
    quote: 'Because all traffic is routed via Tor (or Arti) or a VPN, user experience may be impacted depending on use case and network overheads.',
  },
  'proxy-only-hides-ip': {
    id: 'proxy-only-hides-ip',
    label: 'Haven: a proxy or VPN need not encrypt data (encrypted client-side) nor hide who talks to whom; it only hides the IP',
    quote:
      "a proxy or VPN don't need to encrypt your data (it is encrypted client-side in Haven) or hide connections among chat participants (that's done by xx Network) - it only hides user's 'IP from xx Network and Haven Web app server.",
  },
  'proxy-latency-timeouts': {
    id: 'proxy-latency-timeouts',
    label: 'Haven: proxy: higher latency, possible timeouts',
    quote: 'Cons: higher latency, possible timeouts',
  },
  'direct-fastest': {
    id: 'direct-fastest',
    label: 'Haven: direct: fastest performance',
    quote: 'Pros: fastest performance',
  },
  'direct-gateway-knows-use': {
    id: 'direct-gateway-knows-use',
    label: "Haven: direct: gateway nodes know you're using the network",
    quote: "Cons: xx Network gateway nodes or anyone watching their traffic knows you're using xx Network (but not other details)",
  },
  'web-proxy-hides-ip': {
    id: 'web-proxy-hides-ip',
    label: "Haven: web server via a proxy: client's IP hidden from the web server's owner",
    quote: "Pros: client's IP address hidden from Speakeaasy Web server's owner",
  },
  'web-proxy-slower-start': {
    id: 'web-proxy-slower-start',
    label: 'Haven: web server via a proxy: slower application start',
    quote: 'Cons: slower application start',
  },
  'web-direct-fastest-start': {
    id: 'web-direct-fastest-start',
    label: 'Haven: web server directly: fastest application startup',
    quote: 'Pros: fastest application startup',
  },
  'web-direct-identifies-ip': {
    id: 'web-direct-identifies-ip',
    label: "Haven: web server directly: its owner may identify your IP as a user",
    quote: "Cons: Haven Web server's owner may identify your IP as xx Network user (but not other details, assuming the server is not compromised)",
  },
  'connections-only-via-proxy': {
    id: 'connections-only-via-proxy',
    label: 'Haven: with a proxy or VPN, connections to the servers exist only between the proxy and the servers',
    quote:
      "If Socks5 proxy or VPN proxy is used to protect client's IP address, one or both of these connection types may exist only between that proxy and Haven (or xx Network), while client may open several connections to its Socks5 proxy.",
  },
  'web-not-in-message-path': {
    id: 'web-not-in-message-path',
    label: 'Haven: the web server is not in the path of messaging data',
    quote: "Haven Web server (can be self-hosted, doesn't handle and not in path of messaging data)",
  },
  'ip-logged': {
    id: 'ip-logged',
    label: 'Haven: servers and reverse proxies are likely to log client IPs',
    quote: 'Reverse (HTTPS) proxy (client IP is likely to be logged here)',
  },
};
