/**
 * `npm run directory -- <command>`: the operators' tool for Cove's signed server directory (src/directory/).
 *
 *   keygen  --secret-dir <dir outside the repo> [--public-dir resources/directory] [--count 3] [--threshold 2]
 *           Makes n network key pairs: secret keys to --secret-dir (0600), public keys + network.json to --public-dir.
 *   create  [--in input.json] [--file resources/directory/directory.json] [--gateway <spec>]… [--operator-name N
 *           --operator-contact URI] [--revoke-gateway domain=reason]… [--revoke-signer FINGERPRINT]… [--serial N]
 *           [--threshold K] [--valid-days 90]
 *           Writes a new canonical directory with the next serial; the old signature file is removed (it signed
 *           other bytes). Content comes from --in, else from the directory being replaced; flags add to it.
 *           Gateway spec: `domain` or `domain=host:port[,host:port…]` (a .onion host makes an onion endpoint).
 *   sign    --key <secret.asc> [--file …/directory.json] [--out <file.asc>] [--passphrase-env VAR]
 *           Adds this key's detached signature to <file>.sig (replacing an older one by the same key), or writes it
 *           alone to --out (for a publisher to concatenate).
 *   verify  [--file …/directory.json] [--keys resources/directory] [--last-serial N]
 *           Verifies as Cove does: k distinct network-key signatures, revocations, serial above --last-serial, expiry.
 *
 * Exit codes: 0 done / valid; 1 the directory is refused (verify) or would be invalid (create, sign); 2 usage error;
 * 3 a file cannot be read or written, or the keys are unusable.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as openpgp from 'openpgp';
import type { PrivateKey } from 'openpgp';
import { createDirectory, gatewayFromSpec, parseDirectoryInput } from '../src/directory/create';
import { DirectoryError, DirectorySignatureError, NetworkKeysError } from '../src/directory/errors';
import { fingerprintOf, generateNetworkKey, keyFile, loadNetworkKeys, MANIFEST_FILE, manifestText } from '../src/directory/network';
import { parseDirectory, serializeDirectory, type DirectoryDocument } from '../src/directory/schema';
import { SIGNATURES_SUFFIX } from '../src/directory/shipped';
import { signBytes, splitSignatureBundle } from '../src/directory/signatures';
import { verifyDirectory } from '../src/directory/verify';

const ROOT = resolve(import.meta.dirname, '..');
const RESOURCES = join(ROOT, 'resources', 'directory');

class UsageError extends Error {}
class IoError extends Error {}

const OPTIONS = {
  'secret-dir': { type: 'string' },
  'public-dir': { type: 'string' },
  count: { type: 'string' },
  threshold: { type: 'string' },
  in: { type: 'string' },
  file: { type: 'string' },
  gateway: { type: 'string', multiple: true },
  'operator-name': { type: 'string' },
  'operator-contact': { type: 'string' },
  'revoke-gateway': { type: 'string', multiple: true },
  'revoke-signer': { type: 'string', multiple: true },
  serial: { type: 'string' },
  'valid-days': { type: 'string' },
  key: { type: 'string' },
  out: { type: 'string' },
  'passphrase-env': { type: 'string' },
  keys: { type: 'string' },
  'last-serial': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number`);
  return Number(v);
}

function read(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new IoError(`cannot read ${file}`);
  }
}

function write(file: string, data: string | Uint8Array, mode = 0o644): void {
  try {
    writeFileSync(file, data, { mode });
    chmodSync(file, mode);
  } catch {
    throw new IoError(`cannot write ${file}`);
  }
}

async function keygen(v: Values): Promise<void> {
  const secretDir = v['secret-dir'];
  if (secretDir === undefined) throw new UsageError('keygen needs --secret-dir <a directory outside the repository>');
  const rel = relative(ROOT, resolve(secretDir));
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) throw new UsageError('--secret-dir must be outside the repository: secret keys are never committed');
  const publicDir = resolve(v['public-dir'] ?? RESOURCES);
  const count = int(v.count, 'count') ?? 3;
  const threshold = int(v.threshold, 'threshold') ?? 2;
  if (count < 1 || count > 64 || threshold < 1 || threshold > count) throw new UsageError('need 1 <= --threshold <= --count <= 64');
  if (existsSync(join(publicDir, MANIFEST_FILE))) throw new UsageError(`${join(publicDir, MANIFEST_FILE)} exists: remove it (and keys/) first`);
  mkdirSync(resolve(secretDir), { recursive: true, mode: 0o700 });
  mkdirSync(join(publicDir, 'keys'), { recursive: true });
  const fingerprints: string[] = [];
  for (let i = 1; i <= count; i++) {
    const key = await generateNetworkKey(`Cove network directory key ${String(i)}`);
    const fp = fingerprintOf(key.toPublic());
    write(join(resolve(secretDir), `${fp}.secret.asc`), key.armor(), 0o600);
    write(join(publicDir, keyFile(fp)), key.toPublic().armor());
    fingerprints.push(fp);
    console.log(`key ${String(i)}: ${fp}`);
  }
  write(join(publicDir, MANIFEST_FILE), manifestText(fingerprints, threshold));
  console.log(`network of ${String(count)} keys, threshold ${String(threshold)}: public keys in ${publicDir}, SECRET keys in ${resolve(secretDir)} (keep them off the repository)`);
}

function readPrevious(file: string): DirectoryDocument | undefined {
  return existsSync(file) ? parseDirectory(new Uint8Array(read(file))) : undefined;
}

function create(v: Values): void {
  const file = resolve(v.file ?? join(RESOURCES, 'directory.json'));
  const previous = readPrevious(file);
  const now = new Date();
  const day = now.toISOString().slice(0, 10);
  const specs = v.gateway ?? [];
  if (specs.length > 0 && (v['operator-name'] === undefined || v['operator-contact'] === undefined)) {
    throw new UsageError('--gateway needs --operator-name and --operator-contact');
  }
  const operator = { name: v['operator-name'] ?? '', contact: v['operator-contact'] ?? '' };
  const doc = createDirectory({
    input: v.in === undefined ? undefined : parseDirectoryInput(read(v.in).toString('utf8')),
    previous,
    addGateways: specs.map((s) => gatewayFromSpec(s, operator, day)),
    revokeGateways: (v['revoke-gateway'] ?? []).map((s) => {
      const [domain = '', reason = ''] = s.split('=', 2);
      if (reason === '') throw new UsageError('--revoke-gateway takes domain=reason');
      return { domain, reason };
    }),
    revokeSigners: (v['revoke-signer'] ?? []).map((fingerprint) => ({ fingerprint: fingerprint.toUpperCase() })),
    serial: int(v.serial, 'serial'),
    threshold: int(v.threshold, 'threshold'),
    validDays: int(v['valid-days'], 'valid-days') ?? 90,
    now,
  });
  write(file, serializeDirectory(doc));
  const sig = `${file}${SIGNATURES_SUFFIX}`;
  if (existsSync(sig)) rmSync(sig);
  console.log(`wrote ${file}: serial ${String(doc.serial)}, ${String(doc.gateways.length)} gateways, ${String(doc.revocations.gateways.length)} revoked, k = ${String(doc.threshold)}, expires ${doc.expires}`);
  console.log(`now sign it with ${String(doc.threshold)} network keys: npm run directory -- sign --key <secret.asc> --file ${file}`);
}

async function readSecretKey(file: string, passphraseEnv: string | undefined): Promise<PrivateKey> {
  let key: PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey: read(file).toString('utf8') });
  } catch (err) {
    if (err instanceof IoError) throw err;
    throw new IoError(`${file} is not an OpenPGP secret key`);
  }
  if (key.isDecrypted()) return key;
  const passphrase = passphraseEnv === undefined ? undefined : process.env[passphraseEnv];
  if (passphrase === undefined) throw new UsageError('the key is protected: give --passphrase-env <NAME OF A VARIABLE holding the passphrase>');
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch {
    throw new IoError('the passphrase does not unlock the key');
  }
}

async function sign(v: Values): Promise<void> {
  if (v.key === undefined) throw new UsageError('sign needs --key <secret.asc>');
  const file = resolve(v.file ?? join(RESOURCES, 'directory.json'));
  const bytes = new Uint8Array(read(file));
  const doc = parseDirectory(bytes); // never sign what Cove would refuse to read
  const key = await readSecretKey(v.key, v['passphrase-env']);
  const armored = await signBytes(bytes, key);
  const fp = fingerprintOf(key.toPublic());
  if (v.out !== undefined) {
    write(resolve(v.out), armored);
    console.log(`signature by ${fp} of serial ${String(doc.serial)} written to ${resolve(v.out)}`);
    return;
  }
  const sigFile = `${file}${SIGNATURES_SUFFIX}`;
  const kept: string[] = [];
  if (existsSync(sigFile)) {
    for (const block of splitSignatureBundle(read(sigFile).toString('utf8'))) {
      const ids = (await openpgp.readSignature({ armoredSignature: block })).getSigningKeyIDs();
      if (!ids.some((id) => key.getKeys(id).length > 0)) kept.push(`${block}\n`);
    }
  }
  write(sigFile, [...kept, armored].join(''));
  console.log(`signed serial ${String(doc.serial)} with ${fp}: ${sigFile} now holds ${String(kept.length + 1)} signature(s)`);
}

async function verify(v: Values): Promise<number> {
  const file = resolve(v.file ?? join(RESOURCES, 'directory.json'));
  const network = await loadNetworkKeys(resolve(v.keys ?? RESOURCES));
  const lastSerial = int(v['last-serial'], 'last-serial');
  const bytes = new Uint8Array(read(file));
  const signatures = read(`${file}${SIGNATURES_SUFFIX}`).toString('utf8');
  try {
    const t0 = performance.now();
    const d = await verifyDirectory(bytes, signatures, { network, lastGood: lastSerial === undefined ? undefined : { serial: lastSerial, threshold: 0 } });
    const ms = performance.now() - t0;
    const doc = d.document;
    console.log(`VALID: serial ${String(doc.serial)}, ${String(doc.gateways.length)} gateways, ${String(doc.revocations.gateways.length)} revoked gateways, ${String(doc.revocations.signers.length)} revoked signers, expires ${doc.expires}`);
    console.log(`signed by ${String(d.signers.length)} of ${String(network.keys.size)} network keys (k = ${String(d.required)}): ${d.signers.join(', ')} [${ms.toFixed(1)} ms]`);
    for (const r of d.ignored) console.log(`  ignored signature #${String(r.index + 1)}: ${r.reason}${r.fingerprint === undefined ? '' : ` (${r.fingerprint})`}`);
    return 0;
  } catch (err) {
    if (!(err instanceof DirectoryError) || err instanceof NetworkKeysError) throw err;
    console.error(`REFUSED [${err.code}]: ${err.message}`);
    if (err instanceof DirectorySignatureError) {
      for (const r of err.rejected) console.error(`  signature #${String(r.index + 1)}: ${r.reason}${r.fingerprint === undefined ? '' : ` (${r.fingerprint})`}`);
    }
    return 1;
  }
}

const USAGE = 'usage: npm run directory -- keygen|create|sign|verify [options] (see the comment at the top of scripts/directory.ts)';

async function main(argv: string[]): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help === true || command === undefined || positionals.length > 1) {
    console.error(USAGE);
    return values.help === true ? 0 : 2;
  }
  try {
    switch (command) {
      case 'keygen':
        await keygen(values);
        return 0;
      case 'create':
        create(values);
        return 0;
      case 'sign':
        await sign(values);
        return 0;
      case 'verify':
        return await verify(values);
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof IoError || err instanceof NetworkKeysError) {
      console.error(`error: ${err.message}`);
      return 3;
    }
    if (err instanceof DirectoryError) {
      console.error(`error [${err.code}]: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
