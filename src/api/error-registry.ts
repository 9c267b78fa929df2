/**
 * Every error class by its exported name, so that an error thrown in the engine's worker is rebuilt
 * as the same class on the page (src/worker/errors.ts). Each class of errors.ts is registered here
 * once, by walking the module's exports: a new error class needs no edit anywhere else.
 */
import * as errors from './errors';

export type ErrorClass = abstract new (...args: never[]) => Error;

const registry = new Map<string, ErrorClass>();

/** Make an error class rebuildable by name (both sides of the worker boundary must register it). */
export function registerErrorClass(cls: ErrorClass, name = cls.name): void {
  registry.set(name, cls);
  // A minifier renames classes (and both sides of the worker boundary differently): pin the exported
  // name on our own classes' prototypes so error.name, and the lookup by name here, stay stable.
  if (!Object.hasOwn(cls.prototype, 'name')) Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
}

/** The class registered under `name`, if any. */
export function errorClassByName(name: string): ErrorClass | undefined {
  return registry.get(name);
}

/** The names of nextscale's own error classes (those of errors.ts), for tests and docs. */
export const NEXTSCALE_ERROR_NAMES: readonly string[] = Object.entries(errors)
  .filter(([, v]) => typeof v === 'function' && (v === errors.NextscaleError || v.prototype instanceof errors.NextscaleError))
  .map(([name]) => name);

for (const name of NEXTSCALE_ERROR_NAMES) registerErrorClass((errors as unknown as Record<string, ErrorClass>)[name], name);
for (const cls of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]) registerErrorClass(cls);
