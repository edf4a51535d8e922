/**
 * Login and signing on one module's slots, scheduled per slot: exclusive operations alone (so a
 * session never has two operations at once and callers never see CKR_OPERATION_ACTIVE), shared
 * signatures side by side on their own sessions. Different slots run in parallel on libuv's
 * threads.
 */
import pkcs11js from 'pkcs11js';
import { KysoError } from '../../errors/index.ts';
import { digestInfo, ecdsaRawToDer } from '../mechanisms.ts';
import type { HashAlgorithm } from '../types.ts';
import type { HostSignParams, HostSignResult } from './protocol.ts';
import type { SessionPool } from './sessions.ts';
import { SlotLock } from './slot-lock.ts';

/** Signatures one logged-in slot may run at once, each on its own session. */
const MAX_PARALLEL_SIGNATURES = 4;

const hashMechanisms: Record<HashAlgorithm, { hash: number; mgf: number }> = {
  'SHA-256': { hash: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256 },
  'SHA-384': { hash: pkcs11js.CKM_SHA384, mgf: pkcs11js.CKG_MGF1_SHA384 },
  'SHA-512': { hash: pkcs11js.CKM_SHA512, mgf: pkcs11js.CKG_MGF1_SHA512 },
};

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
    const key = slot?.keys.get(params.keyId);
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
      const key = slot?.keys.get(params.keyId);
      if (!slot || !key || !this.canSignShared(params)) return undefined;
      const session =
        slot.spare.pop() ??
        p11.C_OpenSession(this.ctx.slotHandle(slotId), pkcs11js.CKF_SERIAL_SESSION);
      try {
        const signatures = await this.signDigests(session, key.key, params);
        if (pool.get(slotId) === slot) slot.spare.push(session);
        else pool.close(session);
        return { signatures, alwaysAuthenticate: false };
      } catch (error) {
        pool.close(session);
        throw error;
      }
    });
  }

  private async signDigests(
    session: Buffer,
    key: Buffer,
    params: HostSignParams,
    contextLogin?: () => void,
  ): Promise<Buffer[]> {
    const signatures: Buffer[] = [];
    for (const digest of params.digests) {
      const { mechanism, data } = mechanismFor(params, digest);
      this.ctx.p11.C_SignInit(session, mechanism, key);
      contextLogin?.();
      const signature = await this.signAsync(session, data);
      signatures.push(
        params.scheme === 'ECDSA' ? ecdsaRawToDer(signature) : Buffer.from(signature),
      );
    }
    return signatures;
  }

  private signExclusive(params: HostSignParams): Promise<HostSignResult> {
    const { slotId } = params;
    const { pool } = this.ctx;
    return this.ctx.guardAsync(slotId, params.serialNumber, async () => {
      const slot = pool.open(slotId);
      if (slot.serialNumber !== params.serialNumber) {
        pool.drop(slotId);
        throw new KysoError('TOKEN_REMOVED', { slotId, reason: 'another token is in the slot' });
      }
      const pin = slot.protectedPath ? undefined : params.pin;
      if (!pool.isLoggedIn(slotId)) {
        if (pin === undefined && !slot.protectedPath) {
          throw new KysoError('PIN_REQUIRED', { slotId });
        }
        pool.login(slotId, slot.handle, pin, pkcs11js.CKU_USER);
      }
      try {
        const { key, alwaysAuthenticate } = pool.privateKey(slotId, slot, params.keyId);
        // Such a key wants the PIN for every signature, even while the token is logged in.
        if (alwaysAuthenticate && pin === undefined && !slot.protectedPath) {
          throw new KysoError('PIN_REQUIRED', { slotId, reason: 'key needs the PIN each time' });
        }
        const contextLogin = alwaysAuthenticate
          ? () => pool.login(slotId, slot.handle, pin, pkcs11js.CKU_CONTEXT_SPECIFIC)
          : undefined;
        try {
          const signatures = await this.signDigests(slot.handle, key, params, contextLogin);
          return { signatures, alwaysAuthenticate };
        } catch (error) {
          // A failed step can leave the signing operation open on the session; closing
          // the session is the only portable way to end it.
          pool.drop(slotId);
          throw error;
        }
      } finally {
        if (!params.stayLoggedIn) pool.logout(slotId);
      }
    });
  }
}

/** Hashing stays on the host: RSA signs a DigestInfo, PSS and ECDSA the bare digest. */
function mechanismFor(
  params: HostSignParams,
  digest: Buffer,
): { mechanism: pkcs11js.Mechanism; data: Buffer } {
  switch (params.scheme) {
    case 'RSASSA-PKCS1-v1_5':
      return {
        mechanism: { mechanism: pkcs11js.CKM_RSA_PKCS },
        data: digestInfo(params.hashAlgorithm, digest),
      };
    case 'RSA-PSS': {
      const { hash, mgf } = hashMechanisms[params.hashAlgorithm];
      const parameter: pkcs11js.RsaPSS = {
        type: pkcs11js.CK_PARAMS_RSA_PSS,
        hashAlg: hash,
        mgf,
        saltLen: digest.length,
      };
      return { mechanism: { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter }, data: digest };
    }
    case 'ECDSA':
      return { mechanism: { mechanism: pkcs11js.CKM_ECDSA }, data: digest };
  }
}
