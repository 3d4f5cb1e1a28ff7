// Per-run guest host keys, made on the host so the guest never spends TCG
// time generating one, in dropbear's own key-file format (dropbear reads only
// that format with -r). Layout, from dropbear's ed25519.c buf_put_ed25519_priv_key:
//   string "ssh-ed25519", uint32 64, 32-byte private seed, 32-byte public key.
import { createHash, generateKeyPairSync } from 'node:crypto';

function sshString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** The SSH wire-format public key blob of an ed25519 key. */
export function ed25519PublicBlob(pub: Buffer): Buffer {
  return Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
}

/** OpenSSH-style fingerprint of a public key blob: "SHA256:" + base64 without padding. */
export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Serialise an ed25519 key (32-byte seed + 32-byte public key) as a dropbear key file. */
export function dropbearEd25519File(seed: Buffer, pub: Buffer): Buffer {
  if (seed.length !== 32 || pub.length !== 32) throw new Error('ed25519 seed and public key must be 32 bytes each');
  const n = Buffer.alloc(4);
  n.writeUInt32BE(64);
  return Buffer.concat([sshString('ssh-ed25519'), n, seed, pub]);
}

/** A fresh ed25519 host key: dropbear key file, OpenSSH public line, and its SHA256 fingerprint. */
export function generateHostKey(): { dropbear: Buffer; publicKeyOpenSSH: string; fingerprintSHA256: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const pub = Buffer.from(jwk.x!, 'base64url');
  const blob = ed25519PublicBlob(pub);
  return {
    dropbear: dropbearEd25519File(seed, pub),
    publicKeyOpenSSH: `ssh-ed25519 ${blob.toString('base64')} krepro-guest`,
    fingerprintSHA256: sha256Fingerprint(blob),
  };
}
