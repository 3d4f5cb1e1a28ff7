import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';

/** A per-run client key pair: the public half goes into the guest's authorized_keys. */
export interface ClientKey {
  privateKey: string;
  publicKey: string;
}

/** Fresh ed25519 client key for one run (never written outside the run's private dir). */
export function generateClientKey(): ClientKey {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'krepro' });
  return { privateKey: pair.private, publicKey: pair.public };
}

/** OpenSSH-style fingerprint of a raw public key blob: "SHA256:" + unpadded base64. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}
