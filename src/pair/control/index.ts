// Public API of the pairing control channel (wire format: channel.ts).
export { ControlServer, type ControlServerOptions, type SessionEnd } from './server.js';
export { ControlClient, type ControlClientOptions, type CallOptions } from './client.js';
export { ControlError, RemoteCallError, type ControlErrorCode } from './errors.js';
export { DEFAULT_CONTROL_PORT, DEFAULT_LIMITS, type ControlLimits } from './limits.js';
export { PROTOCOL_VERSION } from './auth.js';
export { AUTH_FAILED } from './handshake.js';
export {
  implement,
  type Handler,
  type Handlers,
  type ErasedHandler,
  type Implementation,
  type MethodMap,
  type MethodSpec,
  type ParamsOf,
  type ResultOf,
  type Session,
} from './rpc.js';
export * as s from './schema.js';
export { SchemaError, type Schema, type Infer } from './schema.js';
