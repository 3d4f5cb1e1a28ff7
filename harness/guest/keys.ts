import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';

/** A per-run client key pair: the public half goes into the guest's authorized_keys. */
export interface ClientKey {
  privateKey: string;
  publicKey: string;
}

/** Fresh ed25519 client key for one run (never written outside the run's private dir). */
export function generateClientKey(): ClientKey {
  // ssh2 1.17 writes about 1 ed25519 key in 250 that its own parser then rejects
  // ("Malformed OpenSSH private key"), which failed a boot at connect time: keep
  // only a key that parses.
  for (let i = 0; i < 20; i++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'krepro' });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return { privateKey: pair.private, publicKey: pair.public };
  }
  throw new Error('ssh2 could not produce a parseable ed25519 key in 20 tries');
}

/** OpenSSH-style fingerprint of a raw public key blob: "SHA256:" + unpadded base64. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}
