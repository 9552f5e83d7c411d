import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A CA and a server certificate signed by it, PEM-encoded. */
export interface ServerCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const OPENSSL_TIMEOUT_MILLIS = 10_000;

/**
 * Generates a throw-away CA and a server certificate for 127.0.0.1, ::1 and
 * localhost (ECDSA P-256, valid 2 days) with the `openssl` CLI; throws saying
 * how to install it if it is missing.
 */
export async function generateServerCertificates(commonName: string): Promise<ServerCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'meridian-kube-tls-'));
  const openssl = async (args: string[]): Promise<void> => {
    try {
      await run('openssl', args, { cwd: dir, timeout: OPENSSL_TIMEOUT_MILLIS });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error('openssl is not installed: the fake kube-apiserver needs it for its TLS certificates (apt-get install -y openssl)', { cause: error });
      throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`, { cause: error });
    }
  };
  try {
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await openssl(['req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${commonName}-ca`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await openssl(['req', ...key, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${commonName}`]);
    await writeFile(join(dir, 'ext.cnf'), [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc',
      '',
    ].join('\n'));
    await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
    const [caPem, certPem, keyPem] = await Promise.all(['ca.crt', 'server.crt', 'server.key'].map((f) => readFile(join(dir, f), 'utf8')));
    return { caPem: caPem!, certPem: certPem!, keyPem: keyPem! };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
