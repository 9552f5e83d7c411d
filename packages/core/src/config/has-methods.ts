/**
 * True when `value` is an object with a function at each of `methods`: the
 * duck-typing check for injected components (Clock, HealthMonitor, provider,
 * stores) in option schemas, which must keep the caller's object as it is.
 */
export function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return typeof value === 'object' && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}
