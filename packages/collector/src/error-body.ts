import { type ErrorCode, ErrorCodes } from '@pantau/shared';

/**
 * The one error shape of every HTTP answer, `{ "error": { "code", "message" } }`. It sits below
 * api/, web/ and gateway/ so that each can answer errors without importing another.
 */
export function errorBody(
  code: ErrorCode,
  message?: string,
): { error: { code: ErrorCode; message: string } } {
  return { error: { code, message: message ?? ErrorCodes[code].message } };
}
