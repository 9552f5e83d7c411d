// How main.ts picks the ARM endpoint and the credential: public Azure with DefaultAzureCredential unless told otherwise.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { afterEach, describe, expect, it } from 'vitest';
import { createCredential } from '../src/credential.js';
import { readOptions } from '../src/options.js';

describe('examples/azure-vms options and credential', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is public Azure with DefaultAzureCredential when no ARM endpoint is given, even with a service principal in the environment', () => {
    const env = { AZURE_SUBSCRIPTION_ID: 'sub', AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 's', AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com', AZURE_ARM_ENDPOINT: '' };
    const options = readOptions([], env);
    expect(options).toMatchObject({ subscriptionId: 'sub', armEndpoint: undefined, caPem: undefined, pollIntervalMillis: undefined, simulateOutage: true, cleanup: false });
    expect(createCredential(options, env)).toBeInstanceOf(DefaultAzureCredential);
  });

  it('takes a private ARM endpoint, its CA file and a poll interval from the environment, and a client secret against its authority', () => {
    const dir = mkdtempSync(join(tmpdir(), 'azure-vms-options-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'ca.pem'), 'PEM');
    const env = { AZURE_SUBSCRIPTION_ID: 'sub', AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 's', AZURE_AUTHORITY_HOST: 'https://127.0.0.1:1', AZURE_ARM_ENDPOINT: 'https://127.0.0.1:1', AZURE_ARM_CA_FILE: join(dir, 'ca.pem'), AZURE_POLL_INTERVAL_MS: '50' };
    const options = readOptions(['--cleanup'], env);
    expect(options).toMatchObject({ armEndpoint: 'https://127.0.0.1:1', caPem: 'PEM', pollIntervalMillis: 50, cleanup: true });
    expect(createCredential(options, env)).toBeInstanceOf(ClientSecretCredential);
    // Flags win over the environment.
    expect(readOptions(['--arm-endpoint', 'https://arm.example', '--poll-interval-ms', '7'], env)).toMatchObject({ armEndpoint: 'https://arm.example', pollIntervalMillis: 7 });
  });

  it('keeps DefaultAzureCredential for a private endpoint without a client secret, and refuses bad values', () => {
    const env = { AZURE_SUBSCRIPTION_ID: 'sub', AZURE_ARM_ENDPOINT: 'https://management.chinacloudapi.cn', AZURE_AUTHORITY_HOST: 'https://login.chinacloudapi.cn' };
    expect(createCredential(readOptions([], env), env)).toBeInstanceOf(DefaultAzureCredential);
    expect(() => readOptions([], { ...env, AZURE_ARM_ENDPOINT: 'http://127.0.0.1:1' })).toThrow(/https URL/);
    expect(() => readOptions([], { ...env, AZURE_POLL_INTERVAL_MS: 'soon' })).toThrow(/poll interval/);
    expect(() => readOptions([], {})).toThrow(/no subscription/);
  });
});
