/**
 * Login and signing on one module's slots, scheduled per slot: exclusive operations alone (so a
 * session never has two operations at once and callers never see CKR_OPERATION_ACTIVE), shared
 * signatures side by side on their own sessions. Different slots run in parallel on libuv's
 * threads.
 */
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { KysoError } from '../../errors/index.ts';
import { digestInfo, digestLengths, ecdsaRawToDer } from '../mechanisms.ts';
import type { HashAlgorithm } from '../types.ts';
import { chooseMechanism, type MechanismChoice } from './mechanism-choice.ts';
import type { HostLoginParams, HostSignParams, HostSignResult } from './protocol.ts';
import type { SessionPool, SlotSession } from './sessions.ts';
import { SlotLock } from './slot-lock.ts';

/** Signatures one logged-in slot may run at once, each on its own session. */
const MAX_PARALLEL_SIGNATURES = 4;

const hashMechanisms: Record<HashAlgorithm, { hash: number; mgf: number; node: string }> = {
  'SHA-256': { hash: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, node: 'sha256' },
  'SHA-384': { hash: pkcs11js.CKM_SHA384, mgf: pkcs11js.CKG_MGF1_SHA384, node: 'sha384' },
  'SHA-512': { hash: pkcs11js.CKM_SHA512, mgf: pkcs11js.CKG_MGF1_SHA512, node: 'sha512' },
};

const keyCacheKeys = new WeakMap<HostSignParams, string>();

/**
 * Key cache entry of a certificate: its CKA_ID alone may be shared or wrong. Asked a few times
 * per request, hashed once.
 */
function keyCacheKey(params: HostSignParams): string {
  let key = keyCacheKeys.get(params);
  if (key === undefined) {
    key = `${params.keyId}:${createHash('sha256').update(params.certificate).digest('hex')}`;
    keyCacheKeys.set(params, key);
  }
  return key;
}

/** What the signer needs of its module. */
export interface SignerContext {
  p11: pkcs11js.PKCS11;
  pool: SessionPool;
  slotHandle(slotId: string): Buffer;
  /** Runs a slot operation, turning a failure a removed token causes into TOKEN_REMOVED. */
  guardAsync<T>(
    slotId: string,
    serialNumber: string | undefined,
    operation: () => Promise<T>,
  ): Promise<T>;
  /** Whether the token with this serial is still in the slot (C_GetTokenInfo answers). */
  tokenPresent(slotId: string, serialNumber: string): boolean;
}

export class SlotSigner {
  private readonly locks = new Map<string, SlotLock>();
  /** Slot operations queued or running; the module is only re-initialised when none are. */
  private running = 0;

  constructor(private readonly ctx: SignerContext) {}

  get inFlight(): number {
    return this.running;
  }

  /** Runs an operation in the slot's queue: alone when exclusive, else beside other shared ones. */
  runOnSlot<T>(slotId: string, operation: () => T | Promise<T>, exclusive = true): Promise<T> {
    let lock = this.locks.get(slotId);
    if (!lock) {
      lock = new SlotLock(MAX_PARALLEL_SIGNATURES);
      this.locks.set(slotId, lock);
    }
    this.running++;
    return lock.run(exclusive, operation).finally(() => this.running--);
  }

  async sign(params: HostSignParams): Promise<HostSignResult> {
    const { slotId } = params;
    // Alone, the slot's own session is quickest; side by side only pays off under load.
    if (this.locks.get(slotId)?.busy === true && this.canSignShared(params)) {
      const result = await this.runOnSlot(slotId, () => this.signShared(params), false);
      // Undefined: the login went away while it waited; sign the careful way below.
      if (result) return result;
    }
    return this.runOnSlot(slotId, () => this.signExclusive(params), true);
  }

  /**
   * C_Sign on a libuv thread when other operations are waiting (so they overlap), inline when
   * it is the only one (a thread hop would only add latency).
   */
  private signAsync(session: Buffer, data: Buffer): Promise<Buffer> {
    const { p11 } = this.ctx;
    if (this.running <= 1) return Promise.resolve(p11.C_Sign(session, data, Buffer.alloc(1024)));
    return new Promise((resolve, reject) => {
      p11.C_Sign(session, data, Buffer.alloc(1024), (error, signature) =>
        error ? reject(error) : resolve(signature),
      );
    });
  }

  /**
   * A signature that may run beside others: the token is logged in and stays so, and the
   * key is known not to want the PIN each time.
   */
  private canSignShared(params: HostSignParams): boolean {
    const slot = this.ctx.pool.get(params.slotId);
    const key = slot?.keys.get(keyCacheKey(params));
    return (
      params.stayLoggedIn &&
      this.ctx.pool.loggedIn.has(params.slotId) &&
      slot?.serialNumber === params.serialNumber &&
      key !== undefined &&
      !key.alwaysAuthenticate
    );
  }

  private signShared(params: HostSignParams): Promise<HostSignResult | undefined> {
    const { slotId } = params;
    const { p11, pool } = this.ctx;
    return this.ctx.guardAsync(slotId, params.serialNumber, async () => {
      const slot = pool.get(slotId);
      const key = slot?.keys.get(keyCacheKey(params));
      if (!slot || !key || !this.canSignShared(params)) return undefined;
      const choice = this.choose(params, slot);
      const session =
        slot.spare.pop() ??
        p11.C_OpenSession(this.ctx.slotHandle(slotId), pkcs11js.CKF_SERIAL_SESSION);
      try {
        const signatures = await this.signDigests(session, key.key, params, choice);
        if (pool.get(slotId) === slot) slot.spare.push(session);
        else pool.close(session);
        return { signatures, alwaysAuthenticate: false };
      } catch (error) {
        pool.close(session);
        throw error;
      }
    });
  }

  private choose(params: HostSignParams, slot: SlotSession): MechanismChoice {
    const offered = this.ctx.pool.mechanisms(params.slotId, slot);
    return chooseMechanism(params.scheme, params.hashAlgorithm, params.input, offered);
  }

  private async signDigests(
    session: Buffer,
    key: Buffer,
    params: HostSignParams,
    choice: MechanismChoice,
    contextLogin?: () => void,
  ): Promise<Buffer[]> {
    const signatures: Buffer[] = [];
    for (const item of params.digests) {
      const { mechanism, data } = mechanismFor(params, choice, item);
      this.ctx.p11.C_SignInit(session, mechanism, key);
      contextLogin?.();
      const signature = await this.signAsync(session, data);
      signatures.push(
        params.scheme === 'ECDSA' ? ecdsaRawToDer(signature) : Buffer.from(signature),
      );
    }
    return signatures;
  }

  /**
   * The slot's session for a signature, checked: a session the module closed (the token was
   * pulled) is TOKEN_REMOVED, never "not logged in"; another token in the slot is too.
   */
  private checkedSession(params: HostLoginParams): { slot: SlotSession; loggedIn: boolean } {
    const { slotId, serialNumber } = params;
    const { pool } = this.ctx;
    const hadLogin = pool.loggedIn.has(slotId);
    let slot = pool.open(slotId);
    let loggedIn: boolean;
    try {
      loggedIn = pool.loginState(slot);
    } catch {
      pool.drop(slotId);
      if (!this.ctx.tokenPresent(slotId, serialNumber)) {
        throw new KysoError('TOKEN_REMOVED', {
          slotId,
          reason: 'the session ended with the token',
        });
      }
      slot = pool.open(slotId);
      loggedIn = pool.loginState(slot);
    }
    // A cached login that went away: most often the token went with it.
    if (hadLogin && !loggedIn && !this.ctx.tokenPresent(slotId, serialNumber)) {
      pool.drop(slotId);
      throw new KysoError('TOKEN_REMOVED', { slotId, reason: 'the login ended with the token' });
    }
    const swapped =
      slot.serialNumber !== serialNumber ||
      (params.label !== undefined && slot.label !== params.label);
    if (swapped) {
      pool.drop(slotId);
      throw new KysoError('TOKEN_REMOVED', { slotId, reason: 'another token is in the slot' });
    }
    return { slot, loggedIn };
  }

  /** A user login that stays (PIN cache): private objects show to listings after it. */
  login(params: HostLoginParams): Promise<void> {
    const { slotId } = params;
    const { pool } = this.ctx;
    return this.runOnSlot(slotId, () =>
      this.ctx.guardAsync(slotId, params.serialNumber, () => {
        const { slot, loggedIn } = this.checkedSession(params);
        if (!slot.loginRequired || loggedIn) return Promise.resolve();
        const pin = slot.protectedPath ? undefined : params.pin;
        if (pin === undefined && !slot.protectedPath)
          throw new KysoError('PIN_REQUIRED', { slotId });
        pool.login(slotId, slot.handle, pin, pkcs11js.CKU_USER);
        return Promise.resolve();
      }),
    );
  }

  private signExclusive(params: HostSignParams): Promise<HostSignResult> {
    const { slotId } = params;
    const { pool } = this.ctx;
    return this.ctx.guardAsync(slotId, params.serialNumber, async () => {
      const { slot, loggedIn } = this.checkedSession(params);
      // Before any login: a mechanism the token lacks fails without costing a PIN try.
      const choice = this.choose(params, slot);
      const pin = slot.protectedPath ? undefined : params.pin;
      if (slot.loginRequired && !loggedIn) {
        if (pin === undefined && !slot.protectedPath) {
          throw new KysoError('PIN_REQUIRED', { slotId });
        }
        pool.login(slotId, slot.handle, pin, pkcs11js.CKU_USER);
      }
      try {
        // Only now, logged in, may the key be missing: private keys hide until login.
        const { key, alwaysAuthenticate } = pool.privateKey(slot, keyCacheKey(params), {
          slotId,
          keyId: params.keyId,
          certificate: params.certificate,
          certificateLabel: params.certificateLabel,
        });
        // Such a key wants the PIN for every signature, even while the token is logged in.
        if (alwaysAuthenticate && pin === undefined && !slot.protectedPath) {
          throw new KysoError('PIN_REQUIRED', { slotId, reason: 'key needs the PIN each time' });
        }
        const contextLogin = alwaysAuthenticate
          ? () => pool.login(slotId, slot.handle, pin, pkcs11js.CKU_CONTEXT_SPECIFIC)
          : undefined;
        try {
          const signatures = await this.signDigests(slot.handle, key, params, choice, contextLogin);
          return { signatures, alwaysAuthenticate };
        } catch (error) {
          // A failed step can leave the signing operation open on the session; closing
          // the session is the only portable way to end it.
          pool.drop(slotId);
          throw error;
        }
      } finally {
        if (!params.stayLoggedIn && slot.loginRequired) pool.logout(slotId);
      }
    });
  }
}

/**
 * The C_Sign input for one item: a digest (DigestInfo for CKM_RSA_PKCS), or the to-be-signed
 * data, hashed here for a raw mechanism or passed whole to a hash-and-sign one.
 */
function mechanismFor(
  params: HostSignParams,
  choice: MechanismChoice,
  item: Buffer,
): { mechanism: pkcs11js.Mechanism; data: Buffer } {
  const { hash, mgf, node } = hashMechanisms[params.hashAlgorithm];
  const digest = choice.hashOnHost ? createHash(node).update(item).digest() : item;
  const data = choice.digestInfo ? digestInfo(params.hashAlgorithm, digest) : digest;
  if (!choice.pss) return { mechanism: { mechanism: choice.mechanism }, data };
  const parameter: pkcs11js.RsaPSS = {
    type: pkcs11js.CK_PARAMS_RSA_PSS,
    hashAlg: hash,
    mgf,
    saltLen: digestLengths[params.hashAlgorithm],
  };
  return { mechanism: { mechanism: choice.mechanism, parameter }, data };
}
