import { describe, expect, it } from 'vitest';
import { twilioSignature, verifyTwilioSignature } from './signature.ts';

// The worked example of Twilio's request-validation documentation and its helper libraries' tests:
// an independent reference, so a scheme that is merely consistent with itself cannot pass.
const TOKEN = '12345';
const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS: [string, string][] = [
  ['CallSid', 'CA1234567890ABCDE'],
  ['Caller', '+14158675309'],
  ['Digits', '1234'],
  ['From', '+14158675309'],
  ['To', '+18005551212'],
];

describe('X-Twilio-Signature', () => {
  it('reproduces the provider’s published signatures, in any parameter order', () => {
    expect(twilioSignature(TOKEN, URL, PARAMS)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(twilioSignature(TOKEN, URL, [...PARAMS].reverse())).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    // A repeated name: each distinct value in turn, sorted.
    const repeated: [string, string][] = [
      ['Sid', 'CA123'],
      ['SidAccount', 'AC123'],
      ['Digits', '5678'],
      ['Digits', '1234'],
      ['Digits', '1234'],
    ];
    expect(twilioSignature(TOKEN, URL, repeated)).toBe('IK+Dwps556ElfBT0I3Rgjkr1wJU=');
  });

  it('verifies a valid signature, also when the provider wrote the default port out or we did', () => {
    expect(verifyTwilioSignature({ authToken: TOKEN, url: URL, params: PARAMS, signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' })).toBe(true);
    // The provider's library: the signature of https://mycompany.com:443/… .
    expect(verifyTwilioSignature({ authToken: TOKEN, url: URL, params: PARAMS, signature: 'kvajT1Ptam85bY51eRf/AJRuM3w=' })).toBe(true);
    const withPort = 'https://mycompany.com:1234/myapp.php?foo=1&bar=2';
    expect(verifyTwilioSignature({ authToken: TOKEN, url: withPort, params: PARAMS, signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' })).toBe(
      true,
    );
  });

  it('rejects a forged, tampered, missing or differently keyed signature', () => {
    const good = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
    const check = (overrides: Partial<Parameters<typeof verifyTwilioSignature>[0]>) =>
      verifyTwilioSignature({ authToken: TOKEN, url: URL, params: PARAMS, signature: good, ...overrides });
    expect(check({ signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8' })).toBe(false);
    expect(check({ signature: 'SSOYDt4T1cUTdK1PDd93/VVr8B8=' })).toBe(false);
    expect(check({ signature: '署名' })).toBe(false);
    expect(check({ signature: undefined })).toBe(false);
    expect(check({ signature: '' })).toBe(false);
    expect(check({ authToken: '54321' })).toBe(false);
    expect(check({ url: `${URL}&baz=3` })).toBe(false);
    expect(check({ params: [...PARAMS.slice(0, 4), ['To', '+18005551213']] })).toBe(false);
    expect(check({ params: [...PARAMS, ['Body', 'STOP']] })).toBe(false);
  });
});
