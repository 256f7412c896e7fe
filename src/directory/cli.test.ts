/** scripts/directory.ts run as an operator would (through tsx): keygen → create → sign twice → verify, and refusals. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const ONION = `${'c'.repeat(56)}.onion`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(TSX, [join(ROOT, 'scripts', 'directory.ts'), ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
let pub: string;
let secret: string;
let file: string;
const secrets = (): string[] => readdirSync(secret).map((f) => join(secret, f)).sort();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cove-directory-cli-'));
  pub = join(dir, 'public');
  secret = join(dir, 'secret');
  file = join(pub, 'directory.json');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run directory', () => {
  it('keygen, create, sign twice, verify: valid (exit 0)', async () => {
    const keygen = await cli('keygen', '--secret-dir', secret, '--public-dir', pub, '--count', '3', '--threshold', '2');
    expect(keygen.code, keygen.stderr).toBe(0);
    expect(secrets()).toHaveLength(3);
    expect(readdirSync(join(pub, 'keys'))).toHaveLength(3);

    const create = await cli('create', '--file', file, '--gateway', 'a.test', '--gateway', `b.test=b.test:5222,${ONION}:5222`, '--operator-name', 'Test ops', '--operator-contact', 'mailto:ops@a.test');
    expect(create.code, create.stderr).toBe(0);
    expect(create.stdout).toMatch(/serial 1, 2 gateways/);

    const [k1, k2] = secrets();
    for (const key of [k1, k2]) {
      const sign = await cli('sign', '--key', key ?? '', '--file', file);
      expect(sign.code, sign.stderr).toBe(0);
    }
    // signing again with the same key replaces its signature instead of adding one
    const again = await cli('sign', '--key', k2 ?? '', '--file', file);
    expect(again.stdout).toMatch(/now holds 2 signature/);
    expect(readFileSync(`${file}.sig`, 'utf8').match(/BEGIN PGP SIGNATURE/g)).toHaveLength(2);

    const verify = await cli('verify', '--file', file, '--keys', pub);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/VALID: serial 1, 2 gateways/);
    expect(verify.stdout).toMatch(/signed by 2 of 3 network keys \(k = 2\)/);
  }, 90_000);

  it('refuses (exit 1) an old serial, k - 1 signatures and a tampered byte, each with its code', async () => {
    const stale = await cli('verify', '--file', file, '--keys', pub, '--last-serial', '1');
    expect([stale.code, stale.stderr]).toEqual([1, expect.stringMatching(/REFUSED \[directory-stale-serial\]/)]);

    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, readFileSync(file, 'utf8').replace('"port":5222', '"port":5223'));
    writeFileSync(`${tampered}.sig`, readFileSync(`${file}.sig`));
    const bad = await cli('verify', '--file', tampered, '--keys', pub);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/REFUSED \[directory-bad-signature\]/)]);

    // a new directory (serial 2: the old signatures are dropped) signed by one key only
    const create = await cli('create', '--file', file, '--revoke-gateway', 'b.test=operator gone');
    expect(create.stdout).toMatch(/serial 2, 1 gateways, 1 revoked/);
    await cli('sign', '--key', secrets()[2] ?? '', '--file', file);
    const one = await cli('verify', '--file', file, '--keys', pub);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/REFUSED \[directory-not-enough-signatures\].*1 valid signature from the network's keys; 2 are needed/);
  }, 90_000);

  it('exit 2 for a usage error (and secret keys inside the repository), 3 for a missing file', async () => {
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('sign', '--file', file)).code).toBe(2);
    const inRepo = await cli('keygen', '--secret-dir', join(ROOT, 'resources', 'directory', 'secret'), '--public-dir', join(dir, 'p2'));
    expect([inRepo.code, inRepo.stderr]).toEqual([2, expect.stringMatching(/outside the repository/)]);
    expect((await cli('verify', '--file', join(dir, 'nope.json'), '--keys', pub)).code).toBe(3);
  }, 90_000);
});
