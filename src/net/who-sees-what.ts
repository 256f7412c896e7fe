/**
 * "Who sees what" in each privacy mode: for every party on (or near) the path — your network, the proxy, the VPN, Tor
 * relays, your XMPP server, the directory / web server, your contact's server — what it learns about you. This is
 * DATA the UI renders (validated by WhoSeesWhatSchema), not logic; who-sees-what.test.ts checks it against the seed
 * text's statements one by one.
 *
 * Ground rules the data keeps: message content is never learned by anyone (OX: OpenPGP end to end); your XMPP server
 * always sees who talks to whom (JIDs) — unlike Haven's mixnet, XMPP does not hide that; your contact's server never
 * sees your IP address (it talks to your server, never to you); your own network always knows your address.
 */
import {
  differs,
  follows,
  type FactId,
  type Knows,
  type ModeModel,
  type PartyId,
  type PartyView,
  type PrivacyModeId,
  type SourceNote,
  type Statement,
  type TradeOff,
  type TradeOffAspect,
  type WhoSeesWhat,
} from './who-sees-what-schema';
import { SEED_STATEMENTS, SEED_TITLE } from './who-sees-what-seed';

export * from './who-sees-what-schema';
export * from './who-sees-what-seed';

type Said = Omit<Statement, 'fact'>;
type Facts = Record<Exclude<FactId, 'content'>, Said>;

const said =
  (knows: Knows) =>
  (why: string, ...sourceNotes: SourceNote[]): Said => ({ knows, why, sourceNotes });
const yes = said('yes');
const partly = said('partly');
const no = said('no');

export const FACTS: WhoSeesWhat['facts'] = [
  { id: 'ip-address', label: 'Your IP address', description: 'The address your connections come from: it points to your home, office or phone.' },
  { id: 'uses-xmpp', label: 'That you use Cove / XMPP', description: 'That your address (you, on the network) is used for Cove / XMPP.' },
  { id: 'gateway', label: 'Which XMPP server you use', description: 'Which server (the gateway) your account is on.' },
  { id: 'metadata', label: 'Who talks to whom', description: 'Your JID and your contacts’ JIDs, presence, and when and how often you write.' },
  { id: 'content', label: 'What your messages say', description: 'The text and files you send. Never: they are OpenPGP-encrypted end to end (OX).' },
  { id: 'privacy-tool', label: 'That you use a proxy, VPN or Tor', description: 'That your traffic goes through a privacy tool.' },
];

export const PARTIES: WhoSeesWhat['parties'] = [
  { id: 'local-network', label: 'Your ISP or local network', description: 'Whoever runs the network you are on: your provider, the Wi-Fi, an employer.' },
  { id: 'proxy-operator', label: 'The SOCKS5 proxy’s operator', description: 'Whoever runs the proxy you set.' },
  { id: 'vpn-provider', label: 'The VPN provider', description: 'Whoever runs the VPN server your tunnel ends at.' },
  { id: 'tor-guard', label: 'Tor guard (entry) relay', description: 'The first of the Tor relays your circuits go through.' },
  { id: 'tor-exit', label: 'Tor exit relay', description: 'The last Tor relay, which connects to a server outside Tor for you.' },
  { id: 'gateway-operator', label: 'Your XMPP server’s operator', description: 'The server (gateway) your account is on: it relays all your messages.' },
  { id: 'directory-operator', label: 'The directory / web server’s operator', description: 'The server Cove fetches its directory from; it carries no messages.' },
  { id: 'contact-gateway', label: 'Your contact’s XMPP server', description: 'The server of the person you write to, which gets your messages from your server (federation).' },
];

const NEVER_CONTENT = no('Messages are OpenPGP-encrypted end to end (OX): at most it sees cipher text, and how big it is.', follows('proxy-only-hides-ip'));

function party(id: PartyId, role: string, facts: Facts, ...roleNotes: SourceNote[]): PartyView {
  const all: Record<FactId, Said> = { ...facts, content: NEVER_CONTENT };
  return { party: id, involved: true, role, sees: FACTS.map((f) => ({ fact: f.id, ...all[f.id] })), sourceNotes: roleNotes };
}

function notInvolved(id: PartyId, role: string): PartyView {
  const why = 'Not involved in this mode.';
  return { party: id, involved: false, role, sees: FACTS.map((f) => ({ fact: f.id, knows: 'no', why, sourceNotes: [] })), sourceNotes: [] };
}

function mode(
  id: PrivacyModeId,
  transport: ModeModel['transport'],
  title: string,
  summary: string,
  parties: Record<PartyId, PartyView>,
  tradeOffs: Record<TradeOffAspect, Omit<TradeOff, 'aspect'>>,
): ModeModel {
  return {
    mode: id,
    transport,
    title,
    summary,
    parties: PARTIES.map((p) => parties[p.id]),
    tradeOffs: (['speed', 'startup', 'reliability', 'protection'] as const).map((aspect) => ({ aspect, ...tradeOffs[aspect] })),
  };
}

const level = (n: number, words: string, ...sourceNotes: SourceNote[]): Omit<TradeOff, 'aspect'> => ({ level: n, words, sourceNotes });

// ---- parties that look the same in several modes ----

const ALWAYS_YOUR_IP = yes('It is your network: it always knows your address.');
const NO_TOOL_SEEN = no('There is no privacy tool in the way to see.');

const contactGateway = party('contact-gateway', 'Gets your messages from your server (federation), never from your device.', {
  'ip-address': no('It talks to your server, never to your device, in every mode.'),
  'uses-xmpp': no('It knows your JID, not the address you connect from.'),
  gateway: yes('Your JID names your server.'),
  metadata: yes('It sees your JID on what you send its users (messages, presence), and when.', differs('proxy-only-hides-ip')),
  'privacy-tool': no('It never sees your connection, so not how you connect.'),
});

const MESSAGES_HIDDEN_AFTER_STARTTLS = 'After STARTTLS it carries cipher text only: it sees when and how much, not to whom.';

const serverMetadata = yes(
  'It runs your account: it sees your JID, your contacts (roster), presence, and whom you write to and when. Unlike a mixnet, no privacy mode hides this from your own server.',
  differs('proxy-only-hides-ip'),
);

const gatewayIsItself = yes('It is that server.');

const torLocalNetwork = party('local-network', 'Carries encrypted Tor traffic to the first relay.', {
  'ip-address': ALWAYS_YOUR_IP,
  'uses-xmpp': no('Tor’s layers of encryption hide what is inside.', follows('top-privacy-not-identified')),
  gateway: no('Tor hides where your traffic goes.'),
  metadata: no('It sees only encrypted Tor cells.'),
  'privacy-tool': yes('It sees connections to a Tor relay (their list is public) — unless you use an obfs4 bridge, which is harder to recognise.'),
});

const torGuard = party('tor-guard', 'First relay of every circuit: knows your address, not where you go.', {
  'ip-address': yes('Your connection to it comes from your address.'),
  'uses-xmpp': no('Its layer of encryption hides the destination and the content.'),
  gateway: no('It only knows the next relay of the circuit.'),
  metadata: no('It sees only encrypted Tor cells.'),
  'privacy-tool': yes('It is a Tor relay: whoever connects to it uses Tor.'),
});

function directoryThroughTor(role: string): PartyView {
  return party('directory-operator', role, {
    'ip-address': no('The fetch comes from a Tor exit relay.', follows('top-privacy-not-identified')),
    'uses-xmpp': no('It cannot tell who fetched its directory.', follows('top-privacy-not-identified')),
    gateway: no('The fetch does not say which server you use.'),
    metadata: no('It is not in the path of messages.', follows('web-not-in-message-path')),
    'privacy-tool': yes('Exit relays’ addresses are public: it can tell the fetch came through Tor.'),
  });
}

const absentProxy = notInvolved('proxy-operator', 'No proxy is used in this mode.');
const absentVpn = notInvolved('vpn-provider', 'No VPN is used in this mode (Cove’s VPN mode is the one that relies on it).');
const absentGuard = notInvolved('tor-guard', 'Tor is not used in this mode.');
const absentExit = notInvolved('tor-exit', 'Tor is not used in this mode.');

// ---- the modes ----

const direct = mode(
  'direct',
  'direct',
  'Direct',
  'Connects straight to the servers: the fastest, and every server sees your IP address.',
  {
    'local-network': party('local-network', 'Carries every connection straight to the servers.', {
      'ip-address': ALWAYS_YOUR_IP,
      'uses-xmpp': yes('It sees connections to the XMPP port and the stream header, which is clear text before STARTTLS.', follows('direct-gateway-knows-use')),
      gateway: yes('It sees the server’s address, your DNS look-up of its name, and the name in the stream header.'),
      metadata: no(MESSAGES_HIDDEN_AFTER_STARTTLS),
      'privacy-tool': NO_TOOL_SEEN,
    }),
    'proxy-operator': absentProxy,
    'vpn-provider': absentVpn,
    'tor-guard': absentGuard,
    'tor-exit': absentExit,
    'gateway-operator': party('gateway-operator', 'Your XMPP server: you connect to it from your own address.', {
      'ip-address': yes('You connect from your own address, and servers often keep it in their logs.', follows('regular-exposes-ip'), follows('ip-logged')),
      'uses-xmpp': yes('It sees your address connect to it as an XMPP client.', follows('direct-gateway-knows-use')),
      gateway: gatewayIsItself,
      metadata: serverMetadata,
      'privacy-tool': NO_TOOL_SEEN,
    }),
    'directory-operator': party(
      'directory-operator',
      'Answers the directory fetch, straight from your address; it carries no messages.',
      {
        'ip-address': yes('The fetch comes from your address.', follows('regular-exposes-ip'), follows('web-direct-identifies-ip')),
        'uses-xmpp': yes('It may take your address for a Cove user, since the app fetched its directory.', follows('web-direct-identifies-ip')),
        gateway: no('The fetch does not say which server you use.'),
        metadata: no('It is not in the path of messages.', follows('web-not-in-message-path')),
        'privacy-tool': NO_TOOL_SEEN,
      },
      follows('web-not-in-message-path'),
    ),
    'contact-gateway': contactGateway,
  },
  {
    speed: level(5, 'Fastest: one connection straight to the server.', follows('direct-fastest')),
    startup: level(5, 'Fastest start: nothing to set up first.', follows('web-direct-fastest-start')),
    reliability: level(5, 'Fewest moving parts: only your network and the server.'),
    protection: level(1, 'Every server you connect to sees your IP address.', follows('regular-exposes-ip')),
  },
);

const socksClearText =
  'It sees only connections to the proxy, but SOCKS5 is not encrypted: the request names the server and port, and the stream header is clear text before STARTTLS — unless the proxy runs on your machine or the way to it is encrypted (e.g. an SSH tunnel).';

const socks5 = mode(
  'socks5',
  'socks5',
  'SOCKS5 proxy',
  'Goes through a proxy you choose: the servers see the proxy’s address; the proxy sees yours and where you connect.',
  {
    'local-network': party(
      'local-network',
      'Carries your connections to the proxy, and nothing else.',
      {
        'ip-address': ALWAYS_YOUR_IP,
        'uses-xmpp': partly(socksClearText, follows('proxy-only-hides-ip')),
        gateway: partly(socksClearText, follows('proxy-only-hides-ip')),
        metadata: no(MESSAGES_HIDDEN_AFTER_STARTTLS),
        'privacy-tool': yes('It sees your connections go to the proxy.'),
      },
      follows('connections-only-via-proxy'),
    ),
    'proxy-operator': party(
      'proxy-operator',
      'Relays every connection: sees your address and where each connection goes.',
      {
        'ip-address': yes('Your connections to it come from your address.', follows('connections-only-via-proxy')),
        'uses-xmpp': yes('Each SOCKS request names a server and the XMPP port.'),
        gateway: yes('It connects to your server for you, by name.'),
        metadata: no(MESSAGES_HIDDEN_AFTER_STARTTLS, follows('proxy-only-hides-ip')),
        'privacy-tool': yes('You use its proxy.'),
      },
      follows('connections-only-via-proxy'),
    ),
    'vpn-provider': absentVpn,
    'tor-guard': absentGuard,
    'tor-exit': absentExit,
    'gateway-operator': party('gateway-operator', 'Your XMPP server: sees connections from the proxy’s address.', {
      'ip-address': no('It sees the proxy’s address, not yours.', follows('proxy-hides-ip')),
      'uses-xmpp': no('An XMPP client connects from the proxy’s address, not from yours.', follows('proxy-hides-ip')),
      gateway: gatewayIsItself,
      metadata: serverMetadata,
      'privacy-tool': partly('It sees the proxy’s address and may know it for a proxy.'),
    }),
    'directory-operator': party('directory-operator', 'Answers the directory fetch, which comes from the proxy.', {
      'ip-address': no('The fetch comes from the proxy’s address.', follows('proxy-hides-ip'), follows('web-proxy-hides-ip')),
      'uses-xmpp': no('It cannot tie the fetch to your address.', follows('web-proxy-hides-ip')),
      gateway: no('The fetch does not say which server you use.'),
      metadata: no('It is not in the path of messages.', follows('web-not-in-message-path')),
      'privacy-tool': partly('It sees the proxy’s address and may know it for a proxy.'),
    }),
    'contact-gateway': contactGateway,
  },
  {
    speed: level(4, 'One more hop: a little more latency, and a busy proxy may time out.', follows('proxy-latency-timeouts')),
    startup: level(4, 'A slightly slower start: every connection goes through the proxy first.', follows('web-proxy-slower-start')),
    reliability: level(3, 'Depends on the proxy: possible timeouts, and Cove never falls back to a direct connection.', follows('proxy-latency-timeouts')),
    protection: level(3, 'Hides your address from the servers; the proxy sees it, and SOCKS5 itself is not encrypted.', follows('proxy-hides-ip')),
  },
);

const vpn = mode(
  'vpn',
  'vpn',
  'VPN',
  'Goes through a VPN tunnel: the servers see the VPN’s address; the provider sees yours and where you connect.',
  {
    'local-network': party(
      'local-network',
      'Carries one encrypted tunnel to the VPN server, and nothing else.',
      {
        'ip-address': ALWAYS_YOUR_IP,
        'uses-xmpp': no('Everything is inside the encrypted tunnel (as long as DNS goes through it too: the leak check counts local look-ups).'),
        gateway: no('Everything is inside the encrypted tunnel, names looked up included if DNS goes through it.'),
        metadata: no('It sees only the encrypted tunnel.'),
        'privacy-tool': yes('It sees a tunnel to a VPN server; VPN protocols are easy to recognise.'),
      },
      follows('connections-only-via-proxy'),
    ),
    'proxy-operator': absentProxy,
    'vpn-provider': party('vpn-provider', 'Ends your tunnel and sends your traffic on from its own address.', {
      'ip-address': yes('Your tunnel comes from your address.'),
      'uses-xmpp': yes('It sees your connections to the XMPP port and the stream header, clear text before STARTTLS.', follows('proxy-only-hides-ip')),
      gateway: yes('It sees the server’s address and, if it answers your DNS, the name you look up.'),
      metadata: no(MESSAGES_HIDDEN_AFTER_STARTTLS, follows('proxy-only-hides-ip')),
      'privacy-tool': yes('You use its VPN.'),
    }),
    'tor-guard': absentGuard,
    'tor-exit': absentExit,
    'gateway-operator': party('gateway-operator', 'Your XMPP server: sees connections from the VPN’s address.', {
      'ip-address': no('It sees the VPN’s address, not yours.', follows('top-privacy-not-identified')),
      'uses-xmpp': no('An XMPP client connects from the VPN’s address, not from yours.', follows('top-privacy-not-identified')),
      gateway: gatewayIsItself,
      metadata: serverMetadata,
      'privacy-tool': partly('VPN providers’ address ranges are often known.'),
    }),
    'directory-operator': party('directory-operator', 'Answers the directory fetch, which comes from the VPN.', {
      'ip-address': no('The fetch comes from the VPN’s address.', follows('top-privacy-not-identified')),
      'uses-xmpp': no('It cannot tie the fetch to your address.', follows('top-privacy-not-identified')),
      gateway: no('The fetch does not say which server you use.'),
      metadata: no('It is not in the path of messages.', follows('web-not-in-message-path')),
      'privacy-tool': partly('VPN providers’ address ranges are often known.'),
    }),
    'contact-gateway': contactGateway,
  },
  {
    speed: level(4, 'Faster than Tor: one encrypted hop to the VPN server.', follows('vpn-less-secure-faster'), follows('routing-impacts-ux')),
    startup: level(4, 'The tunnel must be up before Cove connects (Cove does not start it).'),
    reliability: level(4, 'Steady while the tunnel is up; when it drops, Cove stops connecting rather than go around it.'),
    protection: level(3, 'Less secure than Tor: one provider sees both your address and where you connect.', follows('vpn-less-secure-faster')),
  },
);

const tor = mode(
  'tor',
  'tor',
  'Tor',
  'Goes through three Tor relays: no single relay knows both who you are and where you connect.',
  {
    'local-network': torLocalNetwork,
    'proxy-operator': absentProxy,
    'vpn-provider': absentVpn,
    'tor-guard': torGuard,
    'tor-exit': party('tor-exit', 'Last relay: connects to your server for you, without knowing who you are.', {
      'ip-address': no('It knows the circuit’s previous relay, not you.'),
      'uses-xmpp': partly('It sees an XMPP connection on the circuit, but not whose.'),
      gateway: partly('It sees which server the circuit goes to, but not whose circuit it is.'),
      metadata: no(MESSAGES_HIDDEN_AFTER_STARTTLS),
      'privacy-tool': no('It cannot tell who is behind the circuit.'),
    }),
    'gateway-operator': party('gateway-operator', 'Your XMPP server: sees connections from a Tor exit relay.', {
      'ip-address': no('It sees a Tor exit relay’s address, not yours.', follows('top-privacy-not-identified')),
      'uses-xmpp': no('An XMPP client connects from a Tor exit, not from your address.', follows('top-privacy-not-identified')),
      gateway: gatewayIsItself,
      metadata: serverMetadata,
      'privacy-tool': yes('Exit relays’ addresses are public: it can tell a Tor user connects.'),
    }),
    'directory-operator': directoryThroughTor('Answers the directory fetch, which comes from a Tor exit relay.'),
    'contact-gateway': contactGateway,
  },
  {
    speed: level(2, 'Slower: three relays, each adds latency.', follows('tor-more-secure-slower'), follows('routing-impacts-ux')),
    startup: level(2, 'Tor must bootstrap first: seconds, up to a minute on a first start or a slow network.'),
    reliability: level(3, 'Circuits sometimes fail and are rebuilt; some servers block Tor exits.'),
    protection: level(4, 'More secure than a VPN: no single relay knows both who you are and where you connect.', follows('tor-more-secure-slower')),
  },
);

const torOnion = mode(
  'tor-onion',
  'tor',
  'Tor to a .onion server',
  'Stays inside Tor up to your server’s onion service: no exit relay, and the server sees only a Tor circuit.',
  {
    'local-network': torLocalNetwork,
    'proxy-operator': absentProxy,
    'vpn-provider': absentVpn,
    'tor-guard': torGuard,
    'tor-exit': party('tor-exit', 'Only for the directory fetch: XMPP never leaves Tor, it meets the server at a rendezvous relay that knows neither end.', {
      'ip-address': no('It knows the circuit’s previous relay, not you.'),
      'uses-xmpp': no('XMPP traffic never reaches an exit relay in this mode.'),
      gateway: no('XMPP traffic never reaches an exit relay in this mode.'),
      metadata: no('XMPP traffic never reaches an exit relay in this mode.'),
      'privacy-tool': no('It cannot tell who is behind the circuit.'),
    }),
    'gateway-operator': party('gateway-operator', 'Runs the .onion service: sees a Tor circuit, never an address.', {
      'ip-address': no('An onion service only sees a Tor circuit: there is no address to see, not even an exit relay’s.', follows('top-privacy-not-identified')),
      'uses-xmpp': no('It cannot tie the connection to any address.', follows('top-privacy-not-identified')),
      gateway: gatewayIsItself,
      metadata: serverMetadata,
      'privacy-tool': yes('A .onion address can only be reached through Tor.'),
    }),
    'directory-operator': directoryThroughTor('Answers the directory fetch through a Tor exit relay (unless it has a .onion address too).'),
    'contact-gateway': contactGateway,
  },
  {
    speed: level(1, 'Slowest: six relays, three chosen by you and three by the service.', follows('tor-more-secure-slower'), follows('routing-impacts-ux')),
    startup: level(1, 'Bootstrap, then fetch the service’s descriptor and build a rendezvous: several seconds more than Tor.'),
    reliability: level(3, 'No exit to be blocked, but the onion service must be up and reachable through Tor.'),
    protection: level(5, 'Only your network and the guard relay see your address, and no exit relay sees your traffic.', follows('tor-more-secure-slower')),
  },
);

export const WHO_SEES_WHAT: WhoSeesWhat = {
  facts: FACTS,
  parties: PARTIES,
  seed: { title: SEED_TITLE, statements: Object.values(SEED_STATEMENTS) },
  modes: [direct, socks5, vpn, tor, torOnion],
};

export function modeModel(id: PrivacyModeId): ModeModel {
  const found = WHO_SEES_WHAT.modes.find((m) => m.mode === id);
  if (found === undefined) throw new Error(`no who-sees-what model for mode ${id}`);
  return found;
}

/** What `party` learns of `fact` in mode `id`. */
export function whoSees(id: PrivacyModeId, party: PartyId, fact: FactId): Statement {
  const view = modeModel(id).parties.find((p) => p.party === party);
  const statement = view?.sees.find((s) => s.fact === fact);
  if (statement === undefined) throw new Error(`no statement for ${party} / ${fact} in mode ${id}`);
  return statement;
}
