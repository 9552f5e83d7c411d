import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { MeridianError } from '@meridian/core';
import { AzureBlobSnapshotStore } from '@meridian/providers-azure';
import { AZURITE_ACCOUNT, getFreePort, runSnapshotStoreConformance } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';
import { useAzurite } from './azurite-fixture.js';

const az = useAzurite();

runSnapshotStoreConformance('AzureBlobSnapshotStore on Azurite', async () => ({
  store: new AzureBlobSnapshotStore({ connectionString: az.azurite.connectionString, containerName: az.container() }),
}));

runSnapshotStoreConformance('AzureBlobSnapshotStore with a prefix, through a host ContainerClient', async () => {
  const { BlobServiceClient } = await import('@azure/storage-blob');
  const client = BlobServiceClient.fromConnectionString(az.azurite.connectionString).getContainerClient(az.container());
  return { store: new AzureBlobSnapshotStore({ client, prefix: 'snapshots/' }) };
});

describe('AzureBlobSnapshotStore', () => {
  const DEV_KEY = /Eby8vdM02xNOcq/;

  it('is STORE_UNAVAILABLE when the account cannot be reached, naming container and account but never the key', async () => {
    const port = await getFreePort();
    const connectionString = az.azurite.connectionString.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`);
    const store = new AzureBlobSnapshotStore({ connectionString, containerName: 'snapshots', maxTries: 1 });
    const started = Date.now();
    const error = await store.put('k', Buffer.from('x')).catch((e: unknown) => e);
    expect(MeridianError.hasCode(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/container "snapshots" in account "devstoreaccount1"/);
    expect((error as Error).message).not.toMatch(DEV_KEY);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('is STORE_UNAVAILABLE with a hint when the key is wrong (403), without the key', async () => {
    const wrong = new StorageSharedKeyCredential(AZURITE_ACCOUNT, Buffer.from('not the key').toString('base64'));
    const store = new AzureBlobSnapshotStore({ accountUrl: az.azurite.blobUrl, credential: wrong, containerName: az.container(), maxTries: 1 });
    const error = await store.get('k').catch((e: unknown) => e);
    expect(MeridianError.hasCode(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/403.*credential was refused/);
    expect((error as Error).message).not.toMatch(/bm90IHRoZSBrZXk/);
  });

  it('works with accountUrl + StorageSharedKeyCredential', async () => {
    const key = /AccountKey=([^;]+)/.exec(az.azurite.connectionString)![1]!;
    const store = new AzureBlobSnapshotStore({ accountUrl: az.azurite.blobUrl, credential: new StorageSharedKeyCredential(AZURITE_ACCOUNT, key), containerName: az.container() });
    const { etag } = await store.put('a', Buffer.from('1'));
    expect(await store.get('a')).toEqual({ bytes: Buffer.from('1'), etag });
  });

  it('stops a call in flight when aborted', async () => {
    const store = new AzureBlobSnapshotStore({ connectionString: az.azurite.connectionString, containerName: az.container() });
    await store.put('big', Buffer.alloc(8 * 1024 * 1024, 7));
    const controller = new AbortController();
    const pending = store.get('big', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('enough')), 1);
    await expect(pending).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'ABORTED'));
  });

  it('refuses bad options with INVALID_CONFIG naming the path', () => {
    expect(() => new AzureBlobSnapshotStore({ connectionString: 'x', containerName: 'Bad_Name' })).toThrow(/containerName/);
    expect(() => new AzureBlobSnapshotStore({ containerName: 'ok-name' })).toThrow(/exactly one of client, connectionString/);
    expect(() => new AzureBlobSnapshotStore({ accountUrl: 'https://acct.blob.core.windows.net', containerName: 'ok-name' })).toThrow(/credential: is required/);
  });

  it('measures put/get latency of 1 MB and 1 KB snapshots', async () => {
    const store = new AzureBlobSnapshotStore({ connectionString: az.azurite.connectionString, containerName: az.container() });
    for (const size of [1024, 1024 * 1024]) {
      const bytes = Buffer.alloc(size, 3);
      const rounds = 20;
      let put = 0;
      let get = 0;
      for (let i = 0; i < rounds; i++) {
        let t = performance.now();
        await store.put(`m${size}`, bytes);
        put += performance.now() - t;
        t = performance.now();
        await store.get(`m${size}`);
        get += performance.now() - t;
      }
      console.log(`Azurite snapshot ${size} B: put ${(put / rounds).toFixed(2)} ms, get ${(get / rounds).toFixed(2)} ms (mean of ${rounds})`);
    }
  });
});
