/** OpenSSL's codes for a certificate chain this agent does not trust (not an expired or misnamed one). */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
]);

/** Node's own suffix: its system store is not where this agent's CA goes (nor can the single executable take Node flags). */
const NODE_HINT = /; if the root CA is installed locally, try running Node\.js with --use-system-ca$/;

/**
 * A connection error's message as the agent reports it: for an untrusted certificate, how to
 * trust the collector's CA (`--ca-file`, `PANTAU_CA_FILE`, `collector.caFile`) instead of Node's hint.
 */
export function explainTlsError(err: Error & { code?: unknown }): string {
  if (typeof err.code !== 'string' || !UNTRUSTED.has(err.code)) return err.message;
  return `${err.message.replace(NODE_HINT, '')}; if a private CA signed the collector's certificate, give its PEM file with --ca-file FILE or PANTAU_CA_FILE (collector.caFile in the config)`;
}
