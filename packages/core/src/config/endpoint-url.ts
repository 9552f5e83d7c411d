import { z } from 'zod';

/**
 * Why `value` cannot be an endpoint URL (a region's, a probe target's, a
 * provider's), or `undefined` when it can.
 *
 * Credentials (`user:password@`) are refused rather than stripped: an endpoint
 * is copied into routing decisions, events, logs and metric labels, so a secret
 * in it would leak everywhere it goes. Pass credentials through headers or a
 * dispatcher instead.
 */
export function endpointUrlProblem(value: string, protocols: ReadonlyArray<'http:' | 'https:'> = ['http:', 'https:']): string | undefined {
  const expected = protocols.length === 1 ? `an absolute ${protocols[0]!.slice(0, -1)} URL` : 'an absolute http(s) URL';
  if (!URL.canParse(value)) return `must be ${expected}`;
  const url = new URL(value);
  if (!(protocols as ReadonlyArray<string>).includes(url.protocol)) return `must be ${expected}`;
  if (url.username !== '' || url.password !== '') {
    return 'must not contain credentials (user:password@): credentials do not belong in an endpoint URL, which is shown in routing decisions, events and logs';
  }
  return undefined;
}

// scheme://…@ : everything between "://" and the last "@" of the same token is user
// info for a valid URL and may still be a secret in a malformed one (an "@" in a path
// then costs a little detail, never a password).
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s"'<>`]*@/gi;

/** Replaces the user info of every URL-looking part of `text` with `[redacted]`. */
export function redactUrlUserinfo(text: string): string {
  return text.replace(USERINFO, '$1[redacted]@');
}

/** @internal zod schema of an http(s) endpoint URL without credentials. */
export const endpointUrlSchema = z.string().superRefine((value, ctx) => {
  const problem = endpointUrlProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
