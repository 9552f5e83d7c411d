import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@meridian/core';

/** The one app registration the fake's Entra ID knows. */
export interface ServicePrincipal {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/** An OAuth error as Entra ID sends it (`invalid_client` with an AADSTS code). */
export interface OAuthError {
  status: number;
  body: Record<string, unknown>;
}

const b64url = (value: Buffer | string): string => Buffer.from(value).toString('base64url');

/** Issues and checks JWT-shaped access tokens (HS256 with a per-fake key) for the client-credentials flow. */
export class TokenService {
  private readonly key = randomBytes(32);
  private notBefore = 0;

  constructor(
    readonly principal: ServicePrincipal,
    private readonly clock: Clock,
    private readonly lifetimeSeconds: number,
  ) {}

  /** Handles a token request's form; returns the token response or Entra's error. */
  exchange(tenant: string, form: URLSearchParams, issuer: string): { status: 200; body: Record<string, unknown> } | OAuthError {
    const traceId = randomUUID();
    const fail = (status: number, error: string, aadsts: number, description: string): OAuthError => ({
      status,
      body: {
        error,
        error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${randomUUID()} Timestamp: ${new Date(this.clock.now()).toISOString()}`,
        error_codes: [aadsts],
        timestamp: new Date(this.clock.now()).toISOString(),
        trace_id: traceId,
        correlation_id: randomUUID(),
        error_uri: `${issuer.replace(/\/v2\.0$/, '')}/error?code=${aadsts}`,
      },
    });
    if (tenant.toLowerCase() !== this.principal.tenantId.toLowerCase()) return fail(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    if (form.get('grant_type') !== 'client_credentials') return fail(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    const scope = form.get('scope') ?? '';
    if (!scope.split(' ').some((s) => s.endsWith('/.default'))) return fail(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    if (form.get('client_id') !== this.principal.clientId) return fail(400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id')}' was not found in the directory '${tenant}'.`);
    const secret = Buffer.from(form.get('client_secret') ?? '');
    const expected = Buffer.from(this.principal.clientSecret);
    if (secret.length !== expected.length || !timingSafeEqual(secret, expected)) {
      return fail(401, 'invalid_client', 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + this.principal.clientId + "'.");
    }
    const now = Math.floor(this.clock.now() / 1000);
    const audience = scope.split(' ').find((s) => s.endsWith('/.default'))!.replace(/\/\.default$/, '');
    const claims = { aud: audience, iss: issuer, iat: now, nbf: now, exp: now + this.lifetimeSeconds, appid: this.principal.clientId, tid: this.principal.tenantId, oid: this.principal.clientId, sub: this.principal.clientId, idtyp: 'app' };
    return { status: 200, body: { token_type: 'Bearer', expires_in: this.lifetimeSeconds, ext_expires_in: this.lifetimeSeconds, access_token: this.sign(claims) } };
  }

  /** True for a token this fake issued, not expired and not revoked. */
  verify(token: string): boolean {
    const [header, payload, signature] = token.split('.');
    if (!header || !payload || !signature) return false;
    const expected = createHmac('sha256', this.key).update(`${header}.${payload}`).digest('base64url');
    if (expected !== signature) return false;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp: number; iat: number };
      const now = this.clock.now() / 1000;
      return claims.exp > now && claims.iat >= this.notBefore;
    } catch {
      return false;
    }
  }

  /** Makes every token issued so far invalid (as a revoked session would be). */
  revokeAll(): void {
    this.notBefore = Math.floor(this.clock.now() / 1000) + 1;
  }

  private sign(claims: Record<string, unknown>): string {
    const body = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
    return `${body}.${createHmac('sha256', this.key).update(body).digest('base64url')}`;
  }
}

/** The OpenID configuration MSAL reads from `<authority>/v2.0/.well-known/openid-configuration`. */
export function openIdConfiguration(baseUrl: string, tenant: string): Record<string, unknown> {
  const root = `${baseUrl}/${tenant}`;
  return {
    token_endpoint: `${root}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${baseUrl}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${root}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${baseUrl}/oidc/userinfo`,
    authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${root}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
  };
}

/** MSAL's instance discovery answer (used when `disableInstanceDiscovery` is not set). */
export function instanceDiscovery(baseUrl: string, tenant: string): Record<string, unknown> {
  const host = new URL(baseUrl).host;
  return {
    tenant_discovery_endpoint: `${baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}
