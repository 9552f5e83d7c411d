/**
 * Webhook URLs carry secrets (Slack's path is the token; others put keys in the
 * query or in user:password@). What may be shown of one: scheme and host only.
 */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '[invalid URL]';
  }
}

/** Removes every secret-bearing part of `url` (whole URL, path, query, user info) from `text`. */
export function scrub(text: string, url: string): string {
  const secrets = new Set<string>([url]);
  try {
    const u = new URL(url);
    secrets.add(u.href);
    if (u.pathname.length > 1) secrets.add(u.pathname);
    if (u.search) secrets.add(u.search);
    if (u.username) secrets.add(u.username);
    if (u.password) secrets.add(u.password);
    for (const part of u.pathname.split('/')) if (part.length >= 8) secrets.add(part);
    for (const value of u.searchParams.values()) if (value.length >= 4) secrets.add(value);
  } catch {
    // not a URL: only the whole string is known
  }
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('[redacted]');
  return out;
}
