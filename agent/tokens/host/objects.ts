/**
 * Key discovery: the certificates on a token and the private key behind each (matched as
 * key-match.ts says). Private keys are usually CKA_PRIVATE objects, invisible until login: a
 * certificate whose key is not seen is 'after-login' while the token waits for a login, and
 * only a search made after login may end in KEY_NOT_FOUND.
 */
import pkcs11js from 'pkcs11js';
import { KysoError } from '../../errors/index.ts';
import {
  certificateKey,
  matchKey,
  unsignedHex,
  unwrapEcPoint,
  type CertificateKey,
  type KeyFacts,
} from './key-match.ts';
import type { RawCertificate } from './protocol.ts';

export interface PrivateKey {
  key: Buffer;
  /** CKA_ALWAYS_AUTHENTICATE: a context-specific login before each signature. */
  alwaysAuthenticate: boolean;
}

interface KeyObject extends KeyFacts {
  handle: Buffer;
  alwaysAuthenticate: boolean;
}

const CKA_PUBLIC_KEY_INFO = 0x129;
const CKA_CERTIFICATE_CATEGORY = 0x87;
const CATEGORY_AUTHORITY = 2;

function find(
  p11: pkcs11js.PKCS11,
  session: Buffer,
  template: pkcs11js.Template,
  max = 1000,
): Buffer[] {
  p11.C_FindObjectsInit(session, template);
  try {
    return p11.C_FindObjects(session, max);
  } finally {
    p11.C_FindObjectsFinal(session);
  }
}

/** One attribute, or undefined when the object lacks it or keeps it secret. */
function attribute(
  p11: pkcs11js.PKCS11,
  session: Buffer,
  object: Buffer,
  type: number,
): Buffer | undefined {
  try {
    const [value] = p11.C_GetAttributeValue(session, object, [{ type }]);
    return value?.value && value.value.length > 0 ? value.value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Several attributes in one call (SoftHSM2 re-reads its object file per call); attributes the
 * object lacks make the whole call fail, so then one at a time.
 */
function attributes(
  p11: pkcs11js.PKCS11,
  session: Buffer,
  object: Buffer,
  types: number[],
): Map<number, Buffer> {
  const values = new Map<number, Buffer>();
  try {
    for (const { type, value } of p11.C_GetAttributeValue(
      session,
      object,
      types.map((type) => ({ type })),
    )) {
      if (Buffer.isBuffer(value) && value.length > 0) values.set(type, value);
    }
  } catch {
    for (const type of types) {
      const value = attribute(p11, session, object, type);
      if (value) values.set(type, value);
    }
  }
  return values;
}

const CKK_RSA = 0;
const CKK_EC = 3;

/** The public facts of a key: what matching by public key compares. */
function publicFacts(p11: pkcs11js.PKCS11, session: Buffer, handle: Buffer): Partial<KeyFacts> {
  const type = attribute(p11, session, handle, pkcs11js.CKA_KEY_TYPE)?.readUIntLE(0, 1);
  if (type === CKK_RSA) {
    const rsa = attributes(p11, session, handle, [
      pkcs11js.CKA_MODULUS,
      pkcs11js.CKA_PUBLIC_EXPONENT,
    ]);
    const modulus = rsa.get(pkcs11js.CKA_MODULUS);
    const exponent = rsa.get(pkcs11js.CKA_PUBLIC_EXPONENT);
    if (modulus) {
      return {
        modulus: unsignedHex(modulus),
        ...(exponent ? { exponent: unsignedHex(exponent) } : {}),
      };
    }
  }
  if (type === CKK_EC) {
    const point = attribute(p11, session, handle, pkcs11js.CKA_EC_POINT);
    if (point) return { ecPoint: unwrapEcPoint(point).toString('hex') };
  }
  const spki = attribute(p11, session, handle, CKA_PUBLIC_KEY_INFO);
  return spki ? { spki: spki.toString('hex') } : {};
}

/** Key objects of a class; `full` adds the public facts (costly: read only when needed). */
function readKeys(p11: pkcs11js.PKCS11, session: Buffer, cls: number, full: boolean): KeyObject[] {
  const isPrivate = cls === pkcs11js.CKO_PRIVATE_KEY;
  return find(p11, session, [{ type: pkcs11js.CKA_CLASS, value: cls }]).map((handle) => {
    const basic = attributes(p11, session, handle, [
      pkcs11js.CKA_ID,
      pkcs11js.CKA_LABEL,
      ...(isPrivate ? [pkcs11js.CKA_ALWAYS_AUTHENTICATE] : []),
    ]);
    return {
      handle,
      id: basic.get(pkcs11js.CKA_ID)?.toString('hex') ?? '',
      label: basic.get(pkcs11js.CKA_LABEL)?.toString('utf8') ?? '',
      alwaysAuthenticate: basic.get(pkcs11js.CKA_ALWAYS_AUTHENTICATE)?.[0] === 1,
      ...(full ? publicFacts(p11, session, handle) : {}),
    };
  });
}

/** Visible key objects, their public facts read only when a certificate needs them. */
class KeyIndex {
  private fullyRead = false;
  privateKeys: KeyObject[];
  publicKeys: KeyObject[];

  constructor(
    private readonly p11: pkcs11js.PKCS11,
    private readonly session: Buffer,
  ) {
    this.privateKeys = readKeys(p11, session, pkcs11js.CKO_PRIVATE_KEY, false);
    this.publicKeys = readKeys(p11, session, pkcs11js.CKO_PUBLIC_KEY, false);
  }

  /** The private key and whether a public key of the pair is there. */
  /** The common case, cheaply: a key object with the certificate's CKA_ID. */
  byId(id: string): { key?: KeyObject; pair: boolean } | undefined {
    if (id === '' || this.fullyRead) return undefined;
    const key = this.privateKeys.find((k) => k.id === id);
    if (key) return { key, pair: true };
    return this.publicKeys.some((k) => k.id === id) ? { pair: true } : undefined;
  }

  lookup(certificate: CertificateKey): { key?: KeyObject; pair: boolean } {
    const quick = this.byId(certificate.id);
    if (quick) return quick;
    if (!this.fullyRead) {
      this.privateKeys = readKeys(this.p11, this.session, pkcs11js.CKO_PRIVATE_KEY, true);
      this.publicKeys = readKeys(this.p11, this.session, pkcs11js.CKO_PUBLIC_KEY, true);
      this.fullyRead = true;
    }
    const found = privateKeyFor(certificate, this.privateKeys, this.publicKeys);
    return found
      ? { key: found, pair: true }
      : { pair: matchKey(certificate, this.publicKeys) !== undefined };
  }
}

/** The private key of a certificate among the visible objects, directly or via its public key. */
function privateKeyFor(
  certificate: CertificateKey,
  privateKeys: readonly KeyObject[],
  publicKeys: readonly KeyObject[],
): KeyObject | undefined {
  const direct = matchKey(certificate, privateKeys);
  if (direct) return direct;
  // The public key may carry what the private one hides (EC keys rarely show their point).
  const publicKey = matchKey(certificate, publicKeys);
  if (!publicKey) return undefined;
  return privateKeys.find((key) => publicKey.id !== '' && key.id === publicKey.id);
}

export interface ListingState {
  /** The session is logged in: what is not visible now is not on the token. */
  loggedIn: boolean;
  loginRequired: boolean;
}

export function listCertificates(
  p11: pkcs11js.PKCS11,
  session: Buffer,
  state: ListingState,
): RawCertificate[] {
  const keys = new KeyIndex(p11, session);
  const certificates = find(p11, session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
  ]);
  const hidden = state.loginRequired && !state.loggedIn;
  return certificates.flatMap((object): RawCertificate[] => {
    const values = attributes(p11, session, object, [
      pkcs11js.CKA_VALUE,
      pkcs11js.CKA_ID,
      pkcs11js.CKA_LABEL,
      CKA_CERTIFICATE_CATEGORY,
    ]);
    const get = (type: number) => values.get(type);
    const der = get(pkcs11js.CKA_VALUE);
    if (!der) return [];
    const keyId = get(pkcs11js.CKA_ID)?.toString('hex') ?? '';
    const label = get(pkcs11js.CKA_LABEL)?.toString('utf8') ?? '';
    const facts = certificateKey(der, keyId, label);
    const authority =
      facts.isCA || get(CKA_CERTIFICATE_CATEGORY)?.readUIntLE(0, 1) === CATEGORY_AUTHORITY;
    // A public key that matches means the pair is on the token, its private half hidden.
    // CA certificates (one on nearly every token) only by CKA_ID: the full search costs.
    const { key, pair: seen } =
      keys.byId(keyId) ?? (authority ? { pair: false } : keys.lookup(facts));
    // CA certificates are kept on tokens without their keys; never promise one after login.
    const privateKey = seen ? 'present' : hidden && !authority ? 'after-login' : 'absent';
    return [
      {
        der,
        keyId,
        label,
        privateKey,
        hasPrivateKey: privateKey !== 'absent',
        alwaysAuthenticate: key?.alwaysAuthenticate ?? false,
        authority,
      },
    ];
  });
}

export interface KeyQuery {
  slotId: string;
  keyId: string;
  certificate: Buffer;
  certificateLabel: string;
}

/** The private key of a certificate; KEY_NOT_FOUND when the (logged-in) token has none. */
export function findPrivateKey(p11: pkcs11js.PKCS11, session: Buffer, query: KeyQuery): PrivateKey {
  // The common case in one search, as before: a private key with the certificate's CKA_ID.
  if (query.keyId !== '') {
    const [byId] = find(
      p11,
      session,
      [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_ID, value: Buffer.from(query.keyId, 'hex') },
      ],
      1,
    );
    if (byId) {
      const always = attribute(p11, session, byId, pkcs11js.CKA_ALWAYS_AUTHENTICATE);
      return { key: byId, alwaysAuthenticate: always?.[0] === 1 };
    }
  }
  const facts = certificateKey(query.certificate, query.keyId, query.certificateLabel);
  const { key } = new KeyIndex(p11, session).lookup(facts);
  if (!key) throw new KysoError('KEY_NOT_FOUND', { slotId: query.slotId, keyId: query.keyId });
  return { key: key.handle, alwaysAuthenticate: key.alwaysAuthenticate };
}
