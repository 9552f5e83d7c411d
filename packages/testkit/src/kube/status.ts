/** One entry of `Status.details.causes`, as the apiserver writes it. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
  type?: string;
}

/** `Status.details`, as the apiserver writes it (`kind` is the resource for most errors, the Kind for Invalid). */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A `meta/v1 Status` object. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code?: number;
}

/** An error the fake answers with: the HTTP code is `status.code`. */
export class KubeStatusError extends Error {
  readonly status: KubeStatus;
  readonly headers: Record<string, string>;

  constructor(code: number, reason: string, message: string, details?: StatusDetails, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'KubeStatusError';
    this.headers = headers;
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
  }
}

/** How a resource is named in messages: `configmaps`, `deployments.apps`. */
export interface QualifiedResource {
  group: string;
  plural: string;
}

const qualified = (r: QualifiedResource): string => (r.group ? `${r.plural}.${r.group}` : r.plural);
const detailsOf = (r: QualifiedResource, name?: string): StatusDetails => ({
  ...(name !== undefined && name !== '' ? { name } : {}),
  ...(r.group ? { group: r.group } : {}),
  kind: r.plural,
});

export const notFound = (r: QualifiedResource, name: string): KubeStatusError =>
  new KubeStatusError(404, 'NotFound', `${qualified(r)} "${name}" not found`, detailsOf(r, name));

export const alreadyExists = (r: QualifiedResource, name: string): KubeStatusError =>
  new KubeStatusError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, detailsOf(r, name));

export const conflict = (r: QualifiedResource, name: string, why: string): KubeStatusError =>
  new KubeStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, detailsOf(r, name));

export const staleResourceVersion = (r: QualifiedResource, name: string): KubeStatusError =>
  conflict(r, name, 'the object has been modified; please apply your changes to the latest version and try again');

/** A field error, as `k8s.io/apimachinery/pkg/util/validation/field` renders it. */
export interface FieldError {
  type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueDuplicate' | 'FieldValueTypeInvalid' | 'FieldValueTooLong';
  field: string;
  /** The detail after `Invalid value: <value>: `. */
  detail?: string;
  value?: unknown;
}

const TYPE_TEXT: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueTooLong: 'Too long',
};

/** `Invalid value: "x": detail`, `Required value`, `Forbidden: detail`. */
export function fieldErrorMessage(error: FieldError): string {
  const head = TYPE_TEXT[error.type];
  const showValue = error.type === 'FieldValueInvalid' || error.type === 'FieldValueNotSupported' || error.type === 'FieldValueDuplicate' || error.type === 'FieldValueTypeInvalid';
  const value = showValue ? `: ${goValue(error.value)}` : '';
  return `${head}${value}${error.detail ? `: ${error.detail}` : ''}`;
}

/** Roughly how Go's `%#v` prints the values that show up in validation messages. */
function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${goValue(v)}`);
    return `map[string]string{${entries.join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** 422 Invalid: `Deployment.apps "x" is invalid: [a: Required value, b: Invalid value: ...]`. */
export function invalid(group: string, kind: string, name: string, errors: FieldError[]): KubeStatusError {
  const causes = errors.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field }));
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const list = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new KubeStatusError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${list}`, {
    ...(name ? { name } : {}),
    ...(group ? { group } : {}),
    kind,
    causes,
  });
}

export const badRequest = (message: string): KubeStatusError => new KubeStatusError(400, 'BadRequest', message);

export const unauthorized = (): KubeStatusError => new KubeStatusError(401, 'Unauthorized', 'Unauthorized');

export const forbidden = (r: QualifiedResource, name: string | undefined, why: string, causes?: StatusCause[]): KubeStatusError =>
  new KubeStatusError(403, 'Forbidden', `${qualified(r)}${name ? ` "${name}"` : ''} is forbidden: ${why}`, { ...detailsOf(r, name), ...(causes ? { causes } : {}) });

export const methodNotAllowed = (): KubeStatusError =>
  new KubeStatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

export const resourceNotFound = (): KubeStatusError =>
  new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource', {});

export const unsupportedMediaType = (accepted: string[]): KubeStatusError =>
  new KubeStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, {});

export const notAcceptable = (accepted: string[]): KubeStatusError =>
  new KubeStatusError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`, {});

/** The watch-cache answer for a resourceVersion older than the retained history. */
export const expired = (requested: number, oldest: number): KubeStatusError =>
  new KubeStatusError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);

export const tooManyRequests = (retryAfterSeconds: number): KubeStatusError =>
  new KubeStatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });

export const internalError = (message: string): KubeStatusError =>
  new KubeStatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });

export const serviceUnavailable = (message: string, retryAfterSeconds?: number): KubeStatusError =>
  new KubeStatusError(
    503,
    'ServiceUnavailable',
    message,
    retryAfterSeconds === undefined ? {} : { retryAfterSeconds },
    retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) },
  );

/** The success Status a DELETE returns for resources that do not return the object. */
export function deleteSuccess(r: QualifiedResource, name: string, uid: string): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, ...(r.group ? { group: r.group } : {}), kind: r.plural, uid } };
}
