/**
 * Typed errors across the worker boundary. Comlink's built-in "throw" handler keeps only name,
 * message and stack, so `instanceof CancelledError` and `code` would be lost. This handler sends
 * name, code, message, stack and the error's own plain fields, and rebuilds the same class on the
 * other side (found by name in a registry), so a caller cannot tell the worker from the thread.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { NextscaleError } from '../api/errors';
import { errorClassByName } from '../api/error-registry';

export { registerErrorClass } from '../api/error-registry';

/** What crosses the boundary for one thrown value. */
export interface SerializedError {
  isError: boolean;
  name: string;
  message: string;
  code?: string;
  stack?: string;
  /** The error's own enumerable fields that structured clone can carry (url, tokens, …). */
  fields?: Record<string, unknown>;
  cause?: SerializedError;
  /** A thrown non-Error value, as is (when cloneable). */
  value?: unknown;
}

const SKIP = new Set(['name', 'message', 'stack', 'code', 'cause']);

function cloneable(v: unknown): boolean {
  return v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v) || (Array.isArray(v) && v.every(cloneable));
}

export function serializeError(e: unknown, depth = 0): SerializedError {
  if (!(e instanceof Error)) {
    const isObj = typeof e === 'object' && e !== null;
    // DOMException (AbortError, QuotaExceededError) is not an Error subclass in every engine.
    if (isObj && typeof (e as { name?: unknown }).name === 'string' && typeof (e as { message?: unknown }).message === 'string') {
      const d = e as { name: string; message: string; stack?: string };
      return { isError: true, name: d.name, message: d.message, stack: d.stack };
    }
    return { isError: false, name: 'Error', message: String(e), value: cloneable(e) ? e : undefined };
  }
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (!SKIP.has(k) && cloneable(v)) fields[k] = v;
  const code = (e as { code?: unknown }).code;
  return {
    isError: true,
    name: e.name,
    message: e.message,
    code: typeof code === 'string' ? code : undefined,
    stack: e.stack,
    fields,
    cause: e.cause !== undefined && depth < 3 ? serializeError(e.cause, depth + 1) : undefined,
  };
}

/** The same class as was thrown (or NextscaleError/Error when unknown here), with the same fields. */
export function deserializeError(s: SerializedError): unknown {
  if (!s.isError) return s.value !== undefined ? s.value : new Error(s.message);
  const cls = errorClassByName(s.name) ?? (s.code ? NextscaleError : Error);
  // Constructors build their message from arguments; the message already exists, so skip them.
  const e = Object.create(cls.prototype) as Error;
  const own = (k: string, v: unknown, enumerable = false) =>
    Object.defineProperty(e, k, { value: v, enumerable, writable: true, configurable: true });
  own('message', s.message);
  own('name', s.name, cls.prototype instanceof NextscaleError || cls === NextscaleError);
  if (s.code !== undefined) own('code', s.code, true);
  own('stack', s.stack ? `${s.stack}\n    at (nextscale worker)` : `${s.name}: ${s.message}`);
  for (const [k, v] of Object.entries(s.fields ?? {})) own(k, v, true);
  if (s.cause) own('cause', deserializeError(s.cause));
  return e;
}

let installed = false;
/** Replace Comlink's "throw" handler (idempotent). Call on both sides before the first call. */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const builtin = transferHandlers.get('throw')!;
  const handler: TransferHandler<{ value: unknown }, SerializedError> = {
    canHandle: builtin.canHandle as TransferHandler<{ value: unknown }, SerializedError>['canHandle'],
    serialize: ({ value }) => [serializeError(value), []],
    deserialize: (s) => {
      throw deserializeError(s);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
