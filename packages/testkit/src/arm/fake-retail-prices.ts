import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { MeridianError } from '@meridian/core';
import { generateServerCertificates } from '../kube/certs.js';
import { matches, parseFilter } from './odata-filter.js';
import { defaultRetailPriceItems, type RetailPriceItem } from './retail-price-table.js';

/** Options of {@link startFakeRetailPrices}. */
export interface FakeRetailPricesOptions {
  /** The price table. Default: {@link defaultRetailPriceItems} (4 regions × 3 sizes × 7 variants). */
  items?: readonly RetailPriceItem[];
  /** Items per page before a `NextPageLink`. Default 1000 (as the real API). */
  pageSize?: number;
  /** Serve https with a generated CA (`caPem`). Default false: http. */
  tls?: boolean;
  /** Port on 127.0.0.1. Default 0: a free one. */
  port?: number;
}

/** One served request. */
export interface RetailPricesRequest {
  path: string;
  filter?: string;
  skip: number;
  status: number;
}

/** A running fake of `https://prices.azure.com/api/retail/prices`. */
export interface FakeRetailPrices {
  /** `http(s)://127.0.0.1:<port>`. */
  readonly url: string;
  /** `<url>/api/retail/prices`: use it in place of `https://prices.azure.com/api/retail/prices`. */
  readonly pricesUrl: string;
  /** The CA when `tls` is on. */
  readonly caPem?: string;
  /** Replaces the table (a price change). */
  setItems(items: readonly RetailPriceItem[]): void;
  /** The next `count` requests get this status (429 carries `Retry-After: 1`, 500/503 an error body). */
  failNext(count: number, status: 429 | 500 | 503): void;
  requests(): readonly RetailPricesRequest[];
  close(): Promise<void>;
}

const badRequest = { Error: { Code: 'BadRequest', Message: 'Invalid OData parameters supplied' } };

/** Starts a fake Azure Retail Prices API (`$filter` with eq/and/or, `$skip` paging through `NextPageLink`). `close()` it when done. */
export async function startFakeRetailPrices(options: FakeRetailPricesOptions = {}): Promise<FakeRetailPrices> {
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new MeridianError('INVALID_CONFIG', `startFakeRetailPrices: pageSize must be an integer >= 1 (got ${JSON.stringify(pageSize)})`, { details: { issues: [{ path: 'pageSize', message: 'must be an integer >= 1', value: String(JSON.stringify(pageSize)) }] } });
  let items = [...(options.items ?? defaultRetailPriceItems())];
  const fields = new Set(Object.keys(items[0] ?? defaultRetailPriceItems()[0]!).concat('reservationTerm', 'priceType'));
  const log: RetailPricesRequest[] = [];
  const faults: { remaining: number; status: number }[] = [];
  let base = '';

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', base);
    const filter = url.searchParams.get('$filter') ?? undefined;
    const skip = Number(url.searchParams.get('$skip') ?? '0');
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      log.push({ path: url.pathname, filter, skip, status });
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
    };
    const fault = faults[0];
    if (fault) {
      if (--fault.remaining <= 0) faults.shift();
      return reply(fault.status, { Error: { Code: fault.status === 429 ? 'TooManyRequests' : 'InternalServerError', Message: 'injected fault' } }, fault.status === 429 ? { 'Retry-After': '1' } : {});
    }
    if (req.method !== 'GET' || url.pathname.replace(/\/$/, '').toLowerCase() !== '/api/retail/prices') return reply(404, { Error: { Code: 'NotFound', Message: `No route for ${url.pathname}` } });
    if (!Number.isInteger(skip) || skip < 0) return reply(400, badRequest);
    const currency = url.searchParams.get('currencyCode');
    if (currency && currency.replace(/'/g, '') !== 'USD') return reply(400, { Error: { Code: 'BadRequest', Message: `The fake serves USD only (got ${currency})` } });
    const clauses = filter === undefined ? [] : parseFilter(filter);
    if (!clauses || clauses.some((c) => c.some((a) => !fields.has(a.field)))) return reply(400, badRequest);
    const selected = items.filter((item) => matches(item as unknown as Record<string, unknown>, clauses));
    const page = selected.slice(skip, skip + pageSize);
    let next: string | null = null;
    if (skip + pageSize < selected.length) {
      const nextUrl = new URL(`${base}/api/retail/prices`);
      for (const [k, v] of url.searchParams) if (k !== '$skip') nextUrl.searchParams.set(k, v);
      nextUrl.searchParams.set('$skip', String(skip + pageSize));
      next = nextUrl.toString();
    }
    reply(200, { BillingCurrency: 'USD', CustomerEntityId: 'Default', CustomerEntityType: 'Retail', Items: page, NextPageLink: next, Count: page.length });
  };

  const certs = options.tls ? await generateServerCertificates('fake-retail-prices') : undefined;
  const server: Server = certs ? createHttpsServer({ key: certs.keyPem, cert: certs.certPem }, handle) : createHttpServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  base = `${certs ? 'https' : 'http'}://127.0.0.1:${port}`;
  let closed = false;
  return {
    url: base,
    pricesUrl: `${base}/api/retail/prices`,
    ...(certs ? { caPem: certs.caPem } : {}),
    setItems: (next) => void (items = [...next]),
    failNext: (count, status) => void (count > 0 && faults.push({ remaining: count, status })),
    requests: () => [...log],
    async close() {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}

export type { RetailPriceItem };
