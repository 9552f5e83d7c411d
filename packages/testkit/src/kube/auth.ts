import { forbidden, unauthorized } from './status.js';

/** One RBAC PolicyRule: `*` matches anything; `namespaces` (not in real RBAC, which uses RoleBindings) limits where it applies. */
export interface RbacRule {
  verbs: string[];
  apiGroups: string[];
  /** Plural resource names, `deployments/scale` for a subresource. */
  resources: string[];
  resourceNames?: string[];
  namespaces?: string[];
}

/** Who a bearer token is and what it may do; without `rules` it is cluster-admin. */
export interface TokenGrant {
  user: string;
  rules?: RbacRule[];
}

/** What a request wants to do, as the authorizer sees it. */
export interface RequestAttributes {
  verb: string;
  group: string;
  /** The plural, with `/subresource` if any. */
  resource: string;
  namespace?: string;
  name?: string;
}

const allows = (list: string[] | undefined, value: string): boolean => list === undefined || list.includes('*') || list.includes(value);

/** Bearer-token authentication and RBAC-style authorization. */
export class Authenticator {
  private readonly tokens = new Map<string, TokenGrant>();

  add(token: string, grant: TokenGrant): void {
    this.tokens.set(token, grant);
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** The grant of the request's bearer token; 401 if it has none or an unknown one. */
  authenticate(authorization: string | undefined): TokenGrant {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const grant = match ? this.tokens.get(match[1]!) : undefined;
    if (!grant) throw unauthorized();
    return grant;
  }

  /** Throws 403 Forbidden, worded as RBAC words it, unless a rule allows the request. */
  authorize(grant: TokenGrant, a: RequestAttributes): void {
    if (!grant.rules) return;
    const ok = grant.rules.some(
      (r) =>
        allows(r.verbs, a.verb) &&
        allows(r.apiGroups, a.group) &&
        allows(r.resources, a.resource) &&
        (a.name === undefined || allows(r.resourceNames, a.name)) &&
        (a.namespace === undefined || allows(r.namespaces, a.namespace)),
    );
    if (ok) return;
    const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    const plural = a.resource.split('/')[0]!;
    throw forbidden({ group: a.group, plural }, a.name, `User "${grant.user}" cannot ${a.verb} resource "${a.resource}" in API group "${a.group}" ${where}`);
  }
}
