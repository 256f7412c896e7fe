/**
 * The self-host kit (server/, SELF-HOSTING.md) keeps client addresses out of everything the server writes. Root only:
 *
 *   cli namespace: 10.213.7.2, fd0c:213:7::2  ──veth──  srv namespace: 10.213.7.1, fd0c:213:7::1 (Prosody)
 *
 * Each case installs the kit into a temp root the way SELF-HOSTING.md says (cove.cfg.lua copied unchanged as
 * etc/prosody/prosody.cfg.lua, the modules next to it, etc/prosody/cove.env made from cove.env.example with DOMAIN,
 * the certificate and the case's settings) and starts `prosody -F` on it inside srv, listening on the documented
 * "*, ::" and ports 5222/5269. Differences from a real install, all about the sandbox: paths under the temp root,
 * a certificate from a throw-away CA, and RUN_AS_ROOT=true instead of the prosody user. The client (fixtures/
 * selfhost-client.ts, the core's XMPP code) runs inside cli, so the server sees distinctive addresses, IPv4 and IPv6:
 * it signs up, logs in, writes to an offline contact, chats both ways and logs out. Then the server is stopped and
 * EVERY file under the root (logs, stdout, data dir, pid file) is searched for the client's addresses: dotted, IPv4-
 * mapped (::ffff:a.b.c.d and its hex form) and IPv6 compressed and expanded.
 *   1. as documented (invitations, LOG_LEVEL warn): invitations from `prosodyctl mod_invites generate`, sign-up without
 *      one refused, a used one refused; no address anywhere, no user JID in the log.
 *   2. LOG_LEVEL=debug (redaction on, open registration): Prosody's most verbose log, in which it writes addresses,
 *      with the 4th sign-up from one address throttled: no address, no user JID; the log shows "[ip]" where they were.
 *   3. control, LOG_LEVEL=debug with LOG_REDACT=false: the same run DOES write both addresses and the JIDs, so the
 *      search would catch a regression.
 * srv runs the documented firewall (server/firewall/nftables.conf) throughout; a probe shows it drops a port it does
 * not open (while an opened one answers). Plus: tor accepts server/tor/torrc.gateway (tor --verify-config).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCa, type TestCa } from '../rig/ca';
import { trackFailures } from '../rig/lifecycle';
import { NetnsRig } from '../rig/netns';
import { finishRunDir, makeRunDir, ManagedProcess, waitFor } from '../rig/util';

const state = trackFailures();
const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const KIT = join(ROOT, 'server');
const NODE = process.execPath;
const DOMAIN = 'selfhost.test';
const SERVER4 = '10.213.7.1';
const CLIENT4 = '10.213.7.2';
const SERVER6 = 'fd0c:213:7::1';
const CLIENT6 = 'fd0c:213:7::2';
/** Every way the client's addresses could be written. */
const NEEDLES = [
  CLIENT4,
  `::ffff:${CLIENT4}`,
  '::ffff:ad5:702',
  '::ffff:0ad5:0702',
  CLIENT6,
  'fd0c:0213:0007:0000:0000:0000:0000:0002',
  'fd0c:213:7:0:0:0:0:2',
];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'mallory'];
const CMD_MS = 15_000;

type Event = Record<string, unknown> & { ev: string };

let dir = '';
let rig: NetnsRig | undefined;
let srv: string;
let cli: string;
let ca: TestCa;

/** The environment without any outer COVE_XMPP_* (only the settings file counts). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COVE_XMPP_')));
}

function sh(argv: readonly string[]): Promise<string> {
  const [cmd, ...args] = argv;
  return new Promise((done, fail) => {
    execFile(cmd ?? '', args, { timeout: CMD_MS, env: cleanEnv(), encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err === null) done(stdout + stderr);
      else fail(new Error(`${argv.join(' ')} failed: ${stderr.trim() || err.message}`));
    });
  });
}

function theRig(): NetnsRig {
  if (rig === undefined) throw new Error('the namespaces were not set up');
  return rig;
}

interface Install {
  root: string;
  config: string;
  log: string;
}

/** SELF-HOSTING.md's install steps, into `<dir>/<name>/` instead of /. `settings` go into cove.env. */
async function install(name: string, settings: Record<string, string>): Promise<Install> {
  const root = join(dir, name);
  const etc = join(root, 'etc/prosody');
  const cert = ca.certs.get(DOMAIN);
  if (cert === undefined) throw new Error('no certificate');
  await Promise.all(['etc/prosody/modules', 'etc/prosody/certs', 'var/lib/prosody', 'var/log/prosody', 'run/prosody'].map((d) => mkdir(join(root, d), { recursive: true })));
  await copyFile(join(KIT, 'prosody/cove.cfg.lua'), join(etc, 'prosody.cfg.lua'));
  for (const f of await readdir(join(KIT, 'prosody/modules'))) await copyFile(join(KIT, 'prosody/modules', f), join(etc, 'modules', f));
  // What `prosodyctl --root cert import` does with certbot's files.
  await copyFile(cert.certFile, join(etc, `certs/${DOMAIN}.crt`));
  await copyFile(cert.keyFile, join(etc, `certs/${DOMAIN}.key`));
  const all: Record<string, string> = {
    DOMAIN,
    CERT: join(etc, `certs/${DOMAIN}.crt`),
    KEY: join(etc, `certs/${DOMAIN}.key`),
    DATA_DIR: join(root, 'var/lib/prosody'),
    LOG_FILE: join(root, 'var/log/prosody/prosody.log'),
    PIDFILE: join(root, 'run/prosody/prosody.pid'),
    RUN_AS_ROOT: 'true',
    ...settings,
  };
  const left = new Set(Object.keys(all));
  const lines = (await readFile(join(KIT, 'prosody/cove.env.example'), 'utf8')).split('\n').map((line) => {
    const m = /^#?COVE_XMPP_([A-Z0-9_]+)=/.exec(line);
    const key = m?.[1];
    if (key === undefined || all[key] === undefined) return line;
    left.delete(key);
    return `COVE_XMPP_${key}=${all[key]}`;
  });
  for (const key of left) lines.push(`COVE_XMPP_${key}=${all[key] ?? ''}`);
  await writeFile(join(etc, 'cove.env'), lines.join('\n'));
  return { root, config: join(etc, 'prosody.cfg.lua'), log: all.LOG_FILE ?? '' };
}

/** `prosody -F` inside srv; resolves when both ports listen there. */
async function startServer(kit: Install, label: string): Promise<ManagedProcess> {
  const proc = new ManagedProcess(`prosody-${label}`, 'ip', ['netns', 'exec', srv, 'prosody', '--config', kit.config, '-F'], join(kit.root, 'console.log'), {
    cwd: kit.root,
    env: cleanEnv(),
  });
  try {
    await waitFor(
      `${label}: prosody listening on 5222 and 5269`,
      async () => {
        if (!proc.running) throw new Error(`prosody exited:\n${proc.tail()}`);
        const out = await theRig().exec(srv, ['ss', '-Hltn']);
        return out.includes(':5222 ') && out.includes(':5269 ') ? true : undefined;
      },
      20_000,
      100,
    );
  } catch (err) {
    await proc.stop(2000);
    throw err;
  }
  return proc;
}

async function invitation(kit: Install): Promise<string> {
  const out = await sh(['prosodyctl', '--config', kit.config, 'mod_invites', 'generate', DOMAIN]);
  const token = /xmpp:[^?\s]+\?register;preauth=([A-Za-z0-9_-]+)/.exec(out)?.[1];
  if (token === undefined) throw new Error(`no invitation in: ${out}`);
  return token;
}

async function runClient(label: string, env: Record<string, string>): Promise<Event[]> {
  const proc = theRig().spawn(cli, `client-${label}`, [NODE, '--import', 'tsx', join(FIXTURES, 'selfhost-client.ts')], {
    cwd: ROOT,
    env: { ...cleanEnv(), SERVER4, SERVER6, PORT: '5222', DOMAIN, CA_FILE: ca.caFile, ...env },
  });
  try {
    const end = await waitFor(
      `${label}: the client to finish`,
      () => proc.jsonLines<Event>().find((e) => e.ev === 'done' || e.ev === 'error') ?? (proc.running ? undefined : { ev: 'error', message: proc.tail() }),
      60_000,
      50,
    );
    if (end.ev === 'error') throw new Error(`${label}: client failed: ${JSON.stringify(end)}\n${proc.tail()}`);
    return proc.jsonLines<Event>();
  } finally {
    await proc.stop(2000);
  }
}

/** A TCP connect from cli to the server's IPv4 address (bash's /dev/tcp, 2 s): open, refused or dropped. */
function probe(port: number): Promise<string> {
  const argv = ['netns', 'exec', cli, 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${SERVER4}/${String(port)}`];
  return new Promise((done) => {
    execFile('ip', argv, { timeout: CMD_MS, encoding: 'utf8' }, (err, _out, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      done(code === 0 ? 'open' : code === 124 ? 'dropped' : /refused/i.test(stderr) ? 'refused' : `exit ${String(code)}: ${stderr.trim()}`);
    });
  });
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

interface Scan {
  files: number;
  hits: string[];
  log: string;
}

/** Every file under the install root, searched for every form of the client's addresses. */
async function scan(kit: Install): Promise<Scan> {
  const files = await filesUnder(kit.root);
  const hits: string[] = [];
  for (const file of files) {
    const text = (await readFile(file)).toString('latin1').toLowerCase();
    for (const needle of NEEDLES) if (text.includes(needle)) hits.push(`${file.slice(kit.root.length + 1)}: ${needle}`);
  }
  return { files: files.length, hits, log: await readFile(kit.log, 'utf8') };
}

const jidsIn = (log: string): string[] => USERS.filter((u) => log.includes(`${u}@${DOMAIN}`));

interface CaseRun {
  events: Event[];
  scan: Scan;
}

async function runCase(label: string, settings: Record<string, string>, clientEnv: (kit: Install) => Promise<Record<string, string>>): Promise<CaseRun> {
  const t0 = performance.now();
  const kit = await install(label, settings);
  const server = await startServer(kit, label);
  const tUp = performance.now();
  let events: Event[];
  try {
    events = await runClient(label, await clientEnv(kit));
  } finally {
    const exit = await server.stop(5000);
    if (exit.signal === 'SIGKILL') console.log(`[selfhost] ${label}: prosody needed SIGKILL`);
  }
  const result = await scan(kit);
  console.log(
    `[selfhost] ${label}: install + start ${(tUp - t0).toFixed(0)} ms, client run + stop ${(performance.now() - tUp).toFixed(0)} ms; ` +
      `${String(result.files)} files searched, log ${String(result.log.length)} bytes, ${String(result.hits.length)} address hits` +
      (result.hits.length > 0 ? `:\n  ${result.hits.slice(0, 10).join('\n  ')}` : ''),
  );
  return { events, scan: result };
}

const registered = (events: Event[]): unknown[] => events.filter((e) => e.ev === 'registered').map((e) => e.user);
const refusal = (events: Event[], user: string): Event | undefined => events.find((e) => e.ev === 'refused' && e.user === user);
const delivered = (events: Event[]): number => events.filter((e) => e.ev === 'delivered').length;
const openSettings = { REGISTRATION: 'open', LOG_LEVEL: 'debug' };

beforeAll(async () => {
  await state.guard(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (network namespaces)');
    dir = await makeRunDir('selfhost');
    await mkdir(join(dir, 'netns'));
    rig = new NetnsRig(join(dir, 'netns'));
    const t0 = performance.now();
    srv = await rig.addNamespace('srv', { ipv6: true });
    cli = await rig.addNamespace('cli', { ipv6: true });
    const [s, c] = [`s${rig.tag}`, `c${rig.tag}`];
    await rig.veth({ ns: srv, name: s, cidr: `${SERVER4}/24` }, { ns: cli, name: c, cidr: `${CLIENT4}/24` });
    await rig.ip(srv, 'addr', 'add', `${SERVER6}/64`, 'dev', s, 'nodad');
    await rig.ip(cli, 'addr', 'add', `${CLIENT6}/64`, 'dev', c, 'nodad');
    // The documented firewall, in srv only (a namespace has its own ruleset): every case below runs behind it.
    await rig.exec(srv, ['nft', '-f', join(KIT, 'firewall/nftables.conf')]);
    ca = await makeTestCa(join(dir, 'ca'), [DOMAIN]);
    console.log(`[selfhost] namespaces, veth and CA in ${(performance.now() - t0).toFixed(0)} ms`);
  });
});

afterAll(async () => {
  await rig?.destroy();
  if (dir !== '') await finishRunDir(dir, state.failed);
});

describe('self-host kit: no client address in anything the server writes', () => {
  it('as documented (invitations, LOG_LEVEL warn): sign-up, login and chat from IPv4 and IPv6 leave no address or JID behind', async () => {
    const run = await runCase('documented', {}, async (kit) => ({ PLAN: 'invite', TOKENS: `${await invitation(kit)},${await invitation(kit)}` }));
    expect(registered(run.events)).toEqual(['alice', 'bob']);
    expect(refusal(run.events, 'mallory')).toMatchObject({ reason: expect.stringMatching(/not-acceptable|registration-closed/) as unknown });
    expect(refusal(run.events, 'carol')).toMatchObject({ step: 'token', condition: 'forbidden' });
    expect(delivered(run.events)).toBe(2);
    expect(run.scan.files).toBeGreaterThan(8);
    expect(run.scan.hits).toEqual([]);
    expect(jidsIn(run.scan.log)).toEqual([]);
  });

  it('LOG_LEVEL=debug, redaction on: the most verbose log names no address and no user, and shows where they were', async () => {
    const run = await runCase('debug-redacted', openSettings, () => Promise.resolve({ PLAN: 'open' }));
    expect(registered(run.events)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(refusal(run.events, 'erin')).toMatchObject({ reason: 'rate-limited', condition: 'policy-violation' });
    expect(delivered(run.events)).toBe(2);
    expect(run.scan.hits).toEqual([]);
    expect(jidsIn(run.scan.log)).toEqual([]);
    expect(run.scan.log).toContain('Registrations over limit for ip [ip]');
    expect(run.scan.log).toContain(`[user]@${DOMAIN}`);
  });

  it('control: LOG_LEVEL=debug with LOG_REDACT=false writes both client addresses and the JIDs (the search can fail)', async () => {
    const run = await runCase('control-unredacted', { ...openSettings, LOG_REDACT: 'false' }, () => Promise.resolve({ PLAN: 'open' }));
    expect(delivered(run.events)).toBe(2);
    const inLog = run.scan.hits.filter((h) => h.startsWith('var/log/prosody/prosody.log: '));
    expect(inLog).toEqual(expect.arrayContaining([`var/log/prosody/prosody.log: ${CLIENT4}`, `var/log/prosody/prosody.log: ${CLIENT6}`]));
    expect(jidsIn(run.scan.log)).toEqual(expect.arrayContaining(['alice', 'bob']));
  });

  it('the documented firewall drops what it does not open, and logs nothing', async () => {
    // Nothing listens on either port: an open port answers "refused" (RST) at once, a dropped one never answers.
    expect(await probe(22)).toBe('refused');
    expect(await probe(5280)).toBe('dropped');
    const rules = await theRig().exec(srv, ['nft', 'list', 'ruleset']);
    expect(rules).toMatch(/tcp dport \{ 5222, 5269 \} accept/);
    expect(rules).not.toMatch(/\blog\b/);
  });

  it('tor accepts server/tor/torrc.gateway', async () => {
    const torDir = join(dir, 'tor');
    await mkdir(join(torDir, 'data'), { recursive: true, mode: 0o700 });
    const snippet = await readFile(join(KIT, 'tor/torrc.gateway'), 'utf8');
    expect(snippet).toMatch(/^HiddenServiceDir \/var\/lib\/tor\/cove-gateway\/$/m);
    await writeFile(join(torDir, 'torrc'), snippet.replace(/^HiddenServiceDir .*$/m, `HiddenServiceDir ${join(torDir, 'hs')}/`));
    const out = await sh(['tor', '--verify-config', '-f', join(torDir, 'torrc'), '--DataDirectory', join(torDir, 'data')]);
    expect(out).toContain('Configuration was valid');
  });
});
