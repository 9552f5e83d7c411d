import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/**
 * A tiny site to log into: `/login?user=ada` sets a signed session cookie and
 * the page stores preferences in localStorage; `/account` greets a signed-in
 * user and shows what localStorage holds. Stateless on the server (the cookie
 * is signed), as a site served from several regions would be.
 */
export async function startSite(secret = 'demo-signing-secret'): Promise<{ url: string; close(): Promise<void> }> {
  const sign = (user: string) => `${user}.${createHmac('sha256', secret).update(user).digest('hex').slice(0, 32)}`;
  const verify = (cookie: string | undefined): string | undefined => {
    const value = /(?:^|;\s*)sid=([^;]+)/.exec(cookie ?? '')?.[1];
    if (!value) return undefined;
    const user = value.split('.')[0]!;
    const expected = Buffer.from(sign(user));
    const got = Buffer.from(value);
    return expected.length === got.length && timingSafeEqual(expected, got) ? user : undefined;
  };
  const page = (body: string) => `<!doctype html><html><head><title>site</title></head><body>${body}</body></html>`;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site.invalid');
    if (url.pathname === '/login') {
      const user = url.searchParams.get('user') ?? 'guest';
      res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': `sid=${sign(user)}; Path=/; HttpOnly; SameSite=Lax` });
      res.end(page(`<p id="status">logged in</p><script>localStorage.setItem('theme', 'dark'); localStorage.setItem('cart', JSON.stringify(['book', 'lamp']));</script>`));
      return;
    }
    if (url.pathname === '/account') {
      const user = verify(req.headers.cookie);
      res.writeHead(user ? 200 : 401, { 'content-type': 'text/html' });
      res.end(
        page(
          `<p id="status">${user ? `Welcome ${user}` : 'Please log in'}</p><p id="storage"></p>` +
            `<script>document.getElementById('storage').textContent = (localStorage.getItem('theme') || '-') + ' ' + (localStorage.getItem('cart') || '-');</script>`,
        ),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
