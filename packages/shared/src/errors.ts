/**
 * One catalog of error codes shared by agent, collector, API and bot. A code is stable: clients
 * and tests match on it, the message is for people.
 */
export const ErrorCodes = {
  // protocol
  FRAME_TOO_LARGE: { status: 413, message: 'frame exceeds the size limit' },
  INVALID_JSON: { status: 400, message: 'frame is not valid JSON' },
  UNKNOWN_FRAME: { status: 400, message: 'unknown frame kind' },
  INVALID_FRAME: { status: 400, message: 'frame does not match the protocol schema' },
  UNEXPECTED_FRAME: { status: 400, message: 'frame is not allowed in this state' },
  UNSUPPORTED_PROTOCOL: { status: 400, message: 'protocol version not supported' },
  RATE_LIMITED: { status: 429, message: 'too many requests' },
  REPLACED: { status: 409, message: 'replaced by a newer connection' },
  SHUTTING_DOWN: { status: 503, message: 'shutting down' },
  // auth
  UNAUTHORIZED: { status: 401, message: 'missing or invalid credentials' },
  FORBIDDEN: { status: 403, message: 'not allowed for this role' },
  // requests
  VALIDATION_FAILED: { status: 400, message: 'request is invalid' },
  NOT_FOUND: { status: 404, message: 'not found' },
  CONFLICT: { status: 409, message: 'conflicts with the current state' },
  // actions
  ACTION_NOT_ALLOWED: { status: 403, message: 'action is not allowed by the agent config' },
  INVALID_PARAMS: { status: 400, message: 'action parameters are invalid' },
  JOB_LIMIT: { status: 429, message: 'too many jobs running' },
  HOST_OFFLINE: { status: 409, message: 'host is offline' },
  UNKNOWN_JOB: { status: 400, message: 'job frame for a job the collector never sent to this host' },
  // config
  INVALID_CONFIG: { status: 500, message: 'configuration is invalid' },
  INVALID_DURATION: { status: 400, message: 'duration is invalid' },
  INTERNAL: { status: 500, message: 'internal error' },
  // metrics database (metrics.store: remote)
  METRICS_BACKEND_FAILED: { status: 502, message: 'the metrics database did not answer the query' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

/** An error with a stable code and the context a reader needs to act on it. */
export class PantauError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(
      message ?? ErrorCodes[code].message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'PantauError';
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.details = options?.details;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/**
 * WebSocket close codes (4000–4999 are for applications). The close reason carries the
 * message; the code tells the peer whether reconnecting can help.
 */
export const CloseCodes = {
  /** Bad, revoked or missing agent token: reconnecting with the same token will not help. */
  UNAUTHORIZED: 4001,
  /** hello.protocol is a version the collector does not speak. */
  UNSUPPORTED_PROTOCOL: 4002,
  /** A frame failed validation (bad JSON, unknown kind, schema mismatch, too large). */
  INVALID_FRAME: 4003,
  /** The peer sent frames faster than allowed. */
  RATE_LIMITED: 4004,
  /** A newer connection for the same host took over. */
  REPLACED: 4005,
  /** The collector is stopping; reconnect later. */
  SHUTTING_DOWN: 4006,
  /** No hello within the allowed time, or a frame out of order. */
  PROTOCOL_VIOLATION: 4007,
} as const;

export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes];

/** Close codes after which an agent should not retry with the same credentials. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCodes.UNAUTHORIZED,
  CloseCodes.UNSUPPORTED_PROTOCOL,
]);

/** Which close code goes with a protocol error code. */
export function closeCodeFor(code: ErrorCode): CloseCode {
  switch (code) {
    case 'UNAUTHORIZED':
      return CloseCodes.UNAUTHORIZED;
    case 'UNSUPPORTED_PROTOCOL':
      return CloseCodes.UNSUPPORTED_PROTOCOL;
    case 'RATE_LIMITED':
      return CloseCodes.RATE_LIMITED;
    case 'REPLACED':
      return CloseCodes.REPLACED;
    case 'SHUTTING_DOWN':
      return CloseCodes.SHUTTING_DOWN;
    case 'UNEXPECTED_FRAME':
      return CloseCodes.PROTOCOL_VIOLATION;
    default:
      return CloseCodes.INVALID_FRAME;
  }
}
