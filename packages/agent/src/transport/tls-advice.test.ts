import { describe, expect, it } from 'vitest';
import { explainTlsError } from './tls-advice.ts';

const tlsError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('explainTlsError', () => {
  it("replaces Node's --use-system-ca hint with the agent's --ca-file / PANTAU_CA_FILE", () => {
    const text = explainTlsError(
      tlsError(
        'DEPTH_ZERO_SELF_SIGNED_CERT',
        'self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca',
      ),
    );
    expect(text).toBe(
      "self-signed certificate; if a private CA signed the collector's certificate, give its PEM file with --ca-file FILE or PANTAU_CA_FILE (collector.caFile in the config)",
    );
  });

  it('leaves other errors as they are: a wrong name or a refused connection is not a missing CA', () => {
    const altName = tlsError(
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames",
    );
    expect(explainTlsError(altName)).toBe(altName.message);
    expect(explainTlsError(tlsError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'))).toBe(
      'connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(explainTlsError(new Error('plain'))).toBe('plain');
  });
});
