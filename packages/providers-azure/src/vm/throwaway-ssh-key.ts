import { generateKeyPairSync } from 'node:crypto';

function sshString(value: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  return Buffer.concat([length, value]);
}

/**
 * An OpenSSH ed25519 public key whose private half is thrown away: Azure wants
 * an admin credential on every Linux VM, and the provider needs no shell on
 * it (SSH stays closed unless `sshSourcePrefix` is set with a key of yours).
 */
export function throwawaySshPublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} meridian-throwaway`;
}
