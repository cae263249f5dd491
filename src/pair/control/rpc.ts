// The RPC vocabulary shared by ControlServer and ControlClient: a method is a
// pair of strict schemas (params, result); the server adds a handler.
import type { Schema } from './schema.js';

export interface MethodSpec<P = unknown, R = unknown> {
  params: Schema<P>;
  result: Schema<R>;
}

export type MethodMap = Record<string, MethodSpec>;
export type ParamsOf<M extends MethodMap, K extends keyof M> = M[K] extends MethodSpec<infer P, unknown> ? P : never;
export type ResultOf<M extends MethodMap, K extends keyof M> = M[K] extends MethodSpec<unknown, infer R> ? R : never;

/** One authenticated peer's session, as handlers see it. */
export interface Session {
  /** Sequential id of the session in this server, from 1. */
  readonly id: number;
  /** The authenticated peer's IP address (IPv4-mapped IPv6 unwrapped): the only target for reverse probes. */
  readonly peerAddress: string;
  readonly peerPort: number;
  /** Aborted when the session ends: handlers stop probing then. */
  readonly signal: AbortSignal;
}

export interface Handler<P = unknown, R = unknown> extends MethodSpec<P, R> {
  /**
   * Runs after `params` passed the schema. A thrown Error reaches the caller
   * as its first line; an `Error` with a string `code` matching
   * /^[a-z][a-z0-9-]{0,31}$/ keeps that code, anything else is `handler-error`.
   */
  handle(params: P, session: Session): Promise<R>;
}

/** Type-erased handler map (handlers with different P, R side by side). */
export interface ErasedHandler {
  params: Schema<unknown>;
  result: Schema<unknown>;
  handle(params: never, session: Session): Promise<unknown>;
}
export type Handlers = Record<string, ErasedHandler>;

export type Implementation<M extends MethodMap> = {
  [K in keyof M]: (params: ParamsOf<M, K>, session: Session) => Promise<ResultOf<M, K>>;
};

/** Joins a method map with its implementations into server handlers, checked by the compiler. */
export function implement<M extends MethodMap>(methods: M, impl: Implementation<M>): Handlers {
  const handlers: Handlers = {};
  for (const name of Object.keys(methods)) {
    const spec = methods[name] as MethodSpec;
    const handle = impl[name] as (params: never, session: Session) => Promise<unknown>;
    handlers[name] = { params: spec.params, result: spec.result, handle };
  }
  return handlers;
}
