import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_CODE_ALPHABET, exportSecretKeyBackup, importSecretKeyBackup, makeBackupCode, normalizeBackupCode } from './backup';
import { decodeBase64, encodeBase64 } from './encoding';
import { BackupCodeFormatError, BackupDecryptError, KeyFormatError, KeyUserIdError } from './errors';
import { generateAccountKey, type OxSecretKey } from './keys';

let alice: OxSecretKey;
beforeAll(async () => {
  alice = await generateAccountKey('alice@a.test');
});

describe('backup codes (XEP-0373 §5.4)', () => {
  it('are 24 characters of the XEP alphabet in six groups of four', () => {
    expect(BACKUP_CODE_ALPHABET).toBe('123456789ABCDEFGHIJKLMNPQRSTUVWXYZ');
    const codes = Array.from({ length: 200 }, makeBackupCode);
    for (const code of codes) expect(code).toMatch(/^[1-9A-NP-Z]{4}(?:-[1-9A-NP-Z]{4}){5}$/);
    expect(new Set(codes).size).toBe(codes.length);
    // Every character of the alphabet shows up, and nothing else does.
    expect(new Set(codes.join('').replace(/-/g, ''))).toEqual(new Set(BACKUP_CODE_ALPHABET));
  });

  it('are read liberally as typed, strictly as to content', () => {
    expect(normalizeBackupCode('TWNK-KD5Y-MT3T-E1GS-DRDB-KVTW')).toBe('TWNK-KD5Y-MT3T-E1GS-DRDB-KVTW');
    expect(normalizeBackupCode(' twnk kd5y mt3t e1gs drdb kvtw ')).toBe('TWNK-KD5Y-MT3T-E1GS-DRDB-KVTW');
    expect(normalizeBackupCode('TWNKKD5YMT3TE1GSDRDBKVTW')).toBe('TWNK-KD5Y-MT3T-E1GS-DRDB-KVTW');
    expect(normalizeBackupCode('TWNK-KD5Y-MT3T-E1GS-DRDB-KVT0')).toBeNull(); // zero is not in the alphabet
    expect(normalizeBackupCode('TWNK-KD5Y-MT3T-E1GS-DRDB-KVTO')).toBeNull(); // nor is O
    expect(normalizeBackupCode('TWNK-KD5Y-MT3T-E1GS-DRDB')).toBeNull();
    expect(normalizeBackupCode('TWNK-KD5Y-MT3T-E1GS-DRDB-KVTW-ADDD')).toBeNull();
  });
});

describe('secret key backup', () => {
  it('round-trips the key, encrypted with the dashed code as an SKESK message of unprotected secret packets', async () => {
    const code = makeBackupCode();
    const backup = await exportSecretKeyBackup(alice, code);
    // What is inside: SKESK + SEIPD, and (with the code) the transferable secret key with S2K usage 0.
    const message = await openpgp.readMessage({ binaryMessage: decodeBase64(backup) ?? new Uint8Array() });
    expect(message.packets.some((p) => p instanceof openpgp.SymEncryptedSessionKeyPacket)).toBe(true);
    expect(message.getEncryptionKeyIDs()).toEqual([]);
    const { data } = await openpgp.decrypt({ message, passwords: [code], format: 'binary' });
    const [inner] = await openpgp.readPrivateKeys({ binaryKeys: data });
    expect(inner?.isDecrypted()).toBe(true);

    const restored = await importSecretKeyBackup(backup, code.toLowerCase().replace(/-/g, ' '), 'alice@a.test');
    expect(restored.fingerprint).toBe(alice.fingerprint);
    expect(restored.secretKey.isDecrypted()).toBe(true);
  });

  it('refuses a wrong or malformed code, and a key for another JID', async () => {
    const code = makeBackupCode();
    const backup = await exportSecretKeyBackup(alice, code);
    let other = makeBackupCode();
    while (other === code) other = makeBackupCode();
    await expect(importSecretKeyBackup(backup, other, 'alice@a.test')).rejects.toThrow(BackupDecryptError);
    await expect(importSecretKeyBackup(backup, 'hunter2', 'alice@a.test')).rejects.toThrow(BackupCodeFormatError);
    await expect(exportSecretKeyBackup(alice, 'hunter2')).rejects.toThrow(BackupCodeFormatError);
    await expect(importSecretKeyBackup(backup, code, 'bob@b.test')).rejects.toThrow(KeyUserIdError);
  });

  it('refuses damaged or foreign data', async () => {
    const code = makeBackupCode();
    const bytes = decodeBase64(await exportSecretKeyBackup(alice, code)) ?? new Uint8Array();
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
    await expect(importSecretKeyBackup(encodeBase64(bytes), code, 'alice@a.test')).rejects.toThrow(BackupDecryptError);
    await expect(importSecretKeyBackup('garbage!', code, 'alice@a.test')).rejects.toThrow(KeyFormatError);
    const publicOnly = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: alice.publicKey.key.write() }), passwords: [code], format: 'binary' });
    await expect(importSecretKeyBackup(encodeBase64(publicOnly), code, 'alice@a.test')).rejects.toThrow(KeyFormatError);
    const toKey = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: alice.secretKey.write() }), encryptionKeys: alice.publicKey.key, format: 'binary' });
    await expect(importSecretKeyBackup(encodeBase64(toKey), code, 'alice@a.test')).rejects.toThrow(/not encrypted with a code/);
  });

  it('picks the newest valid key when a backup holds several', async () => {
    const older = await generateAccountKey('alice@a.test', new Date(Date.now() - 86_400_000));
    const code = makeBackupCode();
    const both = new Uint8Array([...older.secretKey.write(), ...alice.secretKey.write()]);
    const backup = encodeBase64(await openpgp.encrypt({ message: await openpgp.createMessage({ binary: both }), passwords: [code], format: 'binary' }));
    expect((await importSecretKeyBackup(backup, code, 'alice@a.test')).fingerprint).toBe(alice.fingerprint);
  });
});
