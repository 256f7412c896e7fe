/**
 * A throw-away certificate authority for the rig, made at run time with the `openssl` CLI: one CA and, per domain,
 * a P-256 key and a certificate whose subjectAltName is DNS:<domain> (what Prosody checks for c2s and s2s, and what
 * Node checks for servername=<domain>). Extended key usage is serverAuth + clientAuth because an s2s link presents
 * the same certificate as a TLS server (incoming) and as a TLS client (outgoing).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RigError } from './util';

export interface DomainCert {
  domain: string;
  certFile: string;
  keyFile: string;
}

export interface TestCa {
  dir: string;
  /** PEM file of the CA certificate: what clients and servers trust. */
  caFile: string;
  /** The same, as text: pass it as `ca` to tls.connect. */
  caPem: string;
  certs: Map<string, DomainCert>;
}

const OPENSSL_TIMEOUT_MS = 15_000;
const VALID_DAYS = '2';

export class CaError extends RigError {
  override name = 'CaError';
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: OPENSSL_TIMEOUT_MS }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new CaError(`openssl ${args[0] ?? ''} failed: ${err.message}\n${stderr}`));
    });
  });
}

const DOMAIN_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** Creates `<dir>/ca.crt` and, for every domain, `<domain>.crt` + `<domain>.key` signed by it. */
export async function makeTestCa(dir: string, domains: readonly string[]): Promise<TestCa> {
  for (const d of domains) if (!DOMAIN_RE.test(d)) throw new CaError(`not a plain DNS name: ${d}`);
  await mkdir(dir, { recursive: true });
  const caFile = join(dir, 'ca.crt');
  // prettier-ignore
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.crt', '-days', VALID_DAYS, '-subj', '/CN=Cove rig throw-away CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ], dir);
  const certs = new Map<string, DomainCert>();
  await Promise.all(
    domains.map(async (domain) => {
      const ext = [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        `subjectAltName=DNS:${domain}`,
      ].join('\n');
      await writeFile(join(dir, `${domain}.ext`), `${ext}\n`);
      // prettier-ignore
      await openssl([
        'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', `${domain}.key`, '-out', `${domain}.csr`, '-subj', `/CN=${domain}`,
      ], dir);
      // -set_serial instead of -CAcreateserial: the domains are signed in parallel and must not share a serial file.
      // prettier-ignore
      await openssl([
        'x509', '-req', '-in', `${domain}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key',
        '-set_serial', `0x1${randomBytes(8).toString('hex')}`, '-days', VALID_DAYS, '-extfile', `${domain}.ext`, '-out', `${domain}.crt`,
      ], dir);
      certs.set(domain, { domain, certFile: join(dir, `${domain}.crt`), keyFile: join(dir, `${domain}.key`) });
    }),
  );
  return { dir, caFile, caPem: await readFile(caFile, 'utf8'), certs };
}
