/**
 * Synchronous PKCS#11 calls for one module, run only inside a token host process. Every
 * failure leaves here as a KysoError with a stable code mapped from the numeric CKR value.
 */
import pkcs11js from 'pkcs11js';
import { KysoError, ckrName, errorCodeForCkr } from '../../errors/index.ts';
import { pinStateFromFlags } from '../flags.ts';
import { SlotLock } from './slot-lock.ts';
import { digestInfo, ecdsaRawToDer } from '../mechanisms.ts';
import type { HashAlgorithm } from '../types.ts';
import type {
  HostSignParams,
  HostSignResult,
  ModuleInfo,
  RawCertificate,
  RawSlot,
} from './protocol.ts';

// Flags pkcs11js does not export.
const CKF_TOKEN_PRESENT = 0x1;
const CKF_REMOVABLE_DEVICE = 0x2;
const CKF_HW_SLOT = 0x4;
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;
const CKR_USER_ALREADY_LOGGED_IN = 0x100;
const CKR_USER_NOT_LOGGED_IN = 0x101;
const CKR_CANT_LOCK = 0x0a;
const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
/** Errors after which we check whether the token is still there. */
const PRESENCE_SUSPECT = new Set([0x05, 0x06, 0x30, 0x32, 0x60, 0x82, 0xb0, 0xb3, 0xe0, 0x03]);

const hashMechanisms: Record<HashAlgorithm, { hash: number; mgf: number }> = {
  'SHA-256': { hash: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256 },
  'SHA-384': { hash: pkcs11js.CKM_SHA384, mgf: pkcs11js.CKG_MGF1_SHA384 },
  'SHA-512': { hash: pkcs11js.CKM_SHA512, mgf: pkcs11js.CKG_MGF1_SHA512 },
};

function ckrOf(error: unknown): number | undefined {
  return error instanceof pkcs11js.Pkcs11Error ? error.code : undefined;
}

function fromPkcs11(error: unknown, context: Record<string, string | number | boolean> = {}) {
  if (error instanceof KysoError) return error;
  const ckr = ckrOf(error);
  if (ckr === undefined) {
    return new KysoError('SIGNING_FAILED', {
      ...context,
      cause: error instanceof Error ? error.message : String(error),
    });
  }
  return new KysoError(errorCodeForCkr(ckr), { ...context, ckr: ckrName(ckr) });
}

function slotKey(handle: Buffer): string {
  return handle.length >= 8
    ? handle.readBigUInt64LE(0).toString()
    : handle.readUInt32LE(0).toString();
}

/** An open session on a slot, with what we learnt about its token when we opened it. */
interface SlotSession {
  handle: Buffer;
  serialNumber: string;
  protectedPath: boolean;
  /** Private key handle and CKA_ALWAYS_AUTHENTICATE by CKA_ID; valid while logged in. */
  keys: Map<string, { key: Buffer; alwaysAuthenticate: boolean }>;
  /** Idle extra sessions for signatures that run side by side (the login is token-wide). */
  spare: Buffer[];
}

/** Signatures one logged-in slot may run at once, each on its own session. */
const MAX_PARALLEL_SIGNATURES = 4;

function hex(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('hex') : '';
}

export class Pkcs11Module {
  private readonly p11 = new pkcs11js.PKCS11();
  private readonly slots = new Map<string, Buffer>();
  private readonly sessions = new Map<string, SlotSession>();
  private readonly loggedIn = new Set<string>();
  private readonly locks = new Map<string, SlotLock>();
  /** Slot operations queued or running; the module is only re-initialised when none are. */
  private inFlight = 0;
  /** A token became unreadable: some modules (SoftHSM2) only see it again after re-initialising. */
  private stale = false;
  /**
   * Serials of tokens that became unreadable, with when. A re-initialisation made while such a
   * token is still gone cannot show its return, so idle scans re-initialise again (every second
   * for a minute, then every ten seconds) until it is back.
   */
  private readonly vanished = new Map<string, number>();
  /** Token serial last seen in each slot, to know what vanished when a slot turns unreadable. */
  private readonly slotSerials = new Map<string, string>();
  private lastReinitialize = 0;

  init(modulePath: string): ModuleInfo {
    try {
      this.p11.load(modulePath);
    } catch (error) {
      throw new KysoError('MODULE_LOAD_FAILED', {
        modulePath,
        cause: error instanceof Error ? error.message : String(error),
      });
    }
    this.initialize();
    const info = this.p11.C_GetInfo();
    return {
      description: info.libraryDescription.trim(),
      manufacturer: info.manufacturerID.trim(),
      cryptokiVersion: `${info.cryptokiVersion.major}.${info.cryptokiVersion.minor}`,
    };
  }

  private initialize(): void {
    try {
      this.p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (error) {
      const ckr = ckrOf(error);
      if (ckr === CKR_CRYPTOKI_ALREADY_INITIALIZED) return;
      // A module that cannot use OS locking still works for us: one thread calls it.
      if (ckr === CKR_CANT_LOCK) this.p11.C_Initialize();
      else throw new KysoError('MODULE_LOAD_FAILED', { ckr: ckrName(ckr ?? -1) });
    }
  }

  private reinitialize(): void {
    this.sessions.clear();
    this.slots.clear();
    this.loggedIn.clear();
    try {
      this.p11.C_Finalize();
    } catch {
      // Finalising a confused module may fail; initialising again is what matters.
    }
    this.initialize();
    this.stale = false;
    this.lastReinitialize = Date.now();
  }

  private markVanished(slotId: string, serialNumber?: string): void {
    this.stale = true;
    const serial = serialNumber ?? this.slotSerials.get(slotId);
    if (serial !== undefined && !this.vanished.has(serial)) this.vanished.set(serial, Date.now());
  }

  /** Whether an idle scan should re-initialise the module to look for vanished tokens. */
  private wantsReinitialize(): boolean {
    if (this.stale) return true;
    if (this.vanished.size === 0) return false;
    const now = Date.now();
    const oldest = Math.min(...this.vanished.values());
    const interval = now - oldest < 60_000 ? 1000 : 10_000;
    return now - this.lastReinitialize >= interval;
  }

  listSlots(refreshIfStale: boolean): RawSlot[] {
    if (refreshIfStale && this.wantsReinitialize()) {
      if (this.loggedIn.size === 0 && this.inFlight === 0) this.reinitialize();
    }
    const result: RawSlot[] = [];
    for (const handle of this.p11.C_GetSlotList(false)) {
      const slotId = slotKey(handle);
      this.slots.set(slotId, handle);
      const info = this.p11.C_GetSlotInfo(handle);
      const slot: RawSlot = {
        slotId,
        slotDescription: info.slotDescription.trim(),
        manufacturer: info.manufacturerID.trim(),
        present: (info.flags & CKF_TOKEN_PRESENT) !== 0,
        hardwareSlot: (info.flags & CKF_HW_SLOT) !== 0,
        removableDevice: (info.flags & CKF_REMOVABLE_DEVICE) !== 0,
      };
      if (slot.present) {
        try {
          const token = this.p11.C_GetTokenInfo(handle);
          this.slotSerials.set(slotId, token.serialNumber.trim());
          this.vanished.delete(token.serialNumber.trim());
          slot.token = {
            label: token.label.trim(),
            serialNumber: token.serialNumber.trim(),
            manufacturer: token.manufacturerID.trim(),
            model: token.model.trim(),
            flags: token.flags,
            minPinLength: token.minPinLen,
            maxPinLength: token.maxPinLen,
          };
        } catch {
          // Present but unreadable: treat as absent and re-initialise on a later scan.
          slot.present = false;
          this.dropSession(slotId);
          this.markVanished(slotId);
        }
      }
      result.push(slot);
    }
    return result;
  }

  private handle(slotId: string): Buffer {
    let handle = this.slots.get(slotId);
    if (!handle) {
      this.listSlots(false);
      handle = this.slots.get(slotId);
    }
    if (!handle) throw new KysoError('TOKEN_NOT_PRESENT', { slotId });
    return handle;
  }

  /**
   * The slot's session, opened on first use. The token's serial and flags are read once here:
   * a token swapped in the slot invalidates the session, so later calls need not re-check.
   */
  private slotSession(slotId: string): SlotSession {
    const existing = this.sessions.get(slotId);
    if (existing) return existing;
    const slot = this.handle(slotId);
    const token = this.p11.C_GetTokenInfo(slot);
    const created: SlotSession = {
      handle: this.p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION),
      serialNumber: token.serialNumber.trim(),
      protectedPath: (token.flags & pkcs11js.CKF_PROTECTED_AUTHENTICATION_PATH) !== 0,
      keys: new Map(),
      spare: [],
    };
    this.sessions.set(slotId, created);
    return created;
  }

  private session(slotId: string): Buffer {
    return this.slotSession(slotId).handle;
  }

  private dropSession(slotId: string): void {
    const session = this.sessions.get(slotId);
    this.sessions.delete(slotId);
    this.loggedIn.delete(slotId);
    if (!session) return;
    for (const handle of [session.handle, ...session.spare]) this.closeSession(handle);
  }

  private closeSession(handle: Buffer): void {
    try {
      this.p11.C_CloseSession(handle);
    } catch {
      // The session may already be gone with the token.
    }
  }

  private find(session: Buffer, template: pkcs11js.Template, max = 100): Buffer[] {
    this.p11.C_FindObjectsInit(session, template);
    try {
      return this.p11.C_FindObjects(session, max);
    } finally {
      this.p11.C_FindObjectsFinal(session);
    }
  }

  private attribute(session: Buffer, object: Buffer, type: number): Buffer | undefined {
    try {
      const [attribute] = this.p11.C_GetAttributeValue(session, object, [{ type }]);
      return attribute?.value;
    } catch {
      return undefined;
    }
  }

  listCertificates(slotId: string): RawCertificate[] {
    return this.guard(slotId, undefined, () => {
      const session = this.session(slotId);
      const idsOf = (cls: number) =>
        new Set(
          this.find(session, [{ type: pkcs11js.CKA_CLASS, value: cls }], 1000).map((key) =>
            hex(this.attribute(session, key, pkcs11js.CKA_ID)),
          ),
        );
      const privateKeys = new Map<string, boolean>();
      for (const key of this.find(
        session,
        [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }],
        1000,
      )) {
        const always = this.attribute(session, key, pkcs11js.CKA_ALWAYS_AUTHENTICATE);
        privateKeys.set(hex(this.attribute(session, key, pkcs11js.CKA_ID)), always?.[0] === 1);
      }
      // Private keys are usually hidden until login; a public key with the same CKA_ID
      // means the pair was made on this token.
      const publicKeyIds = idsOf(pkcs11js.CKO_PUBLIC_KEY);
      const certificates = this.find(
        session,
        [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
          { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
        ],
        1000,
      );
      return certificates.flatMap((object): RawCertificate[] => {
        const der = this.attribute(session, object, pkcs11js.CKA_VALUE);
        if (!der || der.length === 0) return [];
        const keyId = hex(this.attribute(session, object, pkcs11js.CKA_ID));
        return [
          {
            der,
            keyId,
            label: this.attribute(session, object, pkcs11js.CKA_LABEL)?.toString('utf8') ?? '',
            hasPrivateKey: privateKeys.has(keyId) || publicKeyIds.has(keyId),
            alwaysAuthenticate: privateKeys.get(keyId) ?? false,
          },
        ];
      });
    });
  }

  isLoggedIn(slotId: string): boolean {
    const session = this.sessions.get(slotId);
    if (!session) return false;
    try {
      const state = this.p11.C_GetSessionInfo(session.handle).state;
      return state === CKS_RO_USER_FUNCTIONS || state === CKS_RW_USER_FUNCTIONS;
    } catch {
      this.dropSession(slotId);
      return false;
    }
  }

  logout(slotId: string): void {
    const session = this.sessions.get(slotId);
    this.loggedIn.delete(slotId);
    if (!session) return;
    session.keys.clear();
    try {
      this.p11.C_Logout(session.handle);
    } catch (error) {
      if (ckrOf(error) !== CKR_USER_NOT_LOGGED_IN) this.dropSession(slotId);
    }
  }

  private pinFlags(slotId: string): Partial<Record<'countLow' | 'finalTry' | 'locked', boolean>> {
    try {
      const { countLow, finalTry, locked } = pinStateFromFlags(
        this.p11.C_GetTokenInfo(this.handle(slotId)).flags,
      );
      return { countLow, finalTry, locked };
    } catch {
      return {};
    }
  }

  private login(slotId: string, session: Buffer, pin: string | undefined, userType: number) {
    try {
      // pkcs11js takes no NULL PIN: an empty one (length 0) is what PIN-pad readers get.
      this.p11.C_Login(session, userType, pin ?? '');
      if (userType === pkcs11js.CKU_USER) this.loggedIn.add(slotId);
    } catch (error) {
      const ckr = ckrOf(error);
      if (ckr === CKR_USER_ALREADY_LOGGED_IN) {
        this.loggedIn.add(slotId);
        return;
      }
      const kysoError = fromPkcs11(error, { slotId });
      if (kysoError.code === 'PIN_INCORRECT' || kysoError.code === 'PIN_LOCKED') {
        const flags = this.pinFlags(slotId);
        // The wrong PIN that locks the token still returns CKR_PIN_INCORRECT; telling the
        // user to "try again" would be wrong, the token is locked now.
        if (kysoError.code === 'PIN_INCORRECT' && flags.locked === true) {
          throw new KysoError('PIN_LOCKED', { ...kysoError.details, ...flags });
        }
        Object.assign(kysoError.details, flags);
      }
      throw kysoError;
    }
  }

  /** The private key for a CKA_ID, looked up once per login. */
  private privateKey(slotId: string, slot: SlotSession, keyId: string) {
    const cached = slot.keys.get(keyId);
    if (cached) return cached;
    const [key] = this.find(
      slot.handle,
      [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_ID, value: Buffer.from(keyId, 'hex') },
      ],
      1,
    );
    if (!key) throw new KysoError('KEY_NOT_FOUND', { slotId, keyId });
    const found = {
      key,
      alwaysAuthenticate:
        this.attribute(slot.handle, key, pkcs11js.CKA_ALWAYS_AUTHENTICATE)?.[0] === 1,
    };
    slot.keys.set(keyId, found);
    return found;
  }

  /**
   * Runs an operation in the slot's queue: exclusive ones alone (so a session never has two
   * operations at once and callers never see CKR_OPERATION_ACTIVE), shared signatures side by
   * side on their own sessions. Different slots run in parallel on libuv's threads.
   */
  runOnSlot<T>(slotId: string, operation: () => T | Promise<T>, exclusive = true): Promise<T> {
    let lock = this.locks.get(slotId);
    if (!lock) {
      lock = new SlotLock(MAX_PARALLEL_SIGNATURES);
      this.locks.set(slotId, lock);
    }
    this.inFlight++;
    return lock.run(exclusive, operation).finally(() => this.inFlight--);
  }

  /**
   * C_Sign on a libuv thread when other operations are waiting (so they overlap), inline when
   * it is the only one (a thread hop would only add latency).
   */
  private signAsync(session: Buffer, data: Buffer): Promise<Buffer> {
    if (this.inFlight <= 1)
      return Promise.resolve(this.p11.C_Sign(session, data, Buffer.alloc(1024)));
    return new Promise((resolve, reject) => {
      this.p11.C_Sign(session, data, Buffer.alloc(1024), (error, signature) =>
        error ? reject(error) : resolve(signature),
      );
    });
  }

  /**
   * A signature that may run beside others: the token is logged in and stays so, and the
   * key is known not to want the PIN each time.
   */
  private canSignShared(params: HostSignParams): boolean {
    const slot = this.sessions.get(params.slotId);
    const key = slot?.keys.get(params.keyId);
    return (
      params.stayLoggedIn &&
      this.loggedIn.has(params.slotId) &&
      slot?.serialNumber === params.serialNumber &&
      key !== undefined &&
      !key.alwaysAuthenticate
    );
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

  private signShared(params: HostSignParams): Promise<HostSignResult | undefined> {
    const { slotId } = params;
    return this.guardAsync(slotId, params.serialNumber, async () => {
      const slot = this.sessions.get(slotId);
      const key = slot?.keys.get(params.keyId);
      if (!slot || !key || !this.canSignShared(params)) return undefined;
      const session =
        slot.spare.pop() ??
        this.p11.C_OpenSession(this.handle(slotId), pkcs11js.CKF_SERIAL_SESSION);
      try {
        const signatures = await this.signDigests(session, key.key, params);
        if (this.sessions.get(slotId) === slot) slot.spare.push(session);
        else this.closeSession(session);
        return { signatures, alwaysAuthenticate: false };
      } catch (error) {
        this.closeSession(session);
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
      const { mechanism, data } = this.mechanismFor(params, digest);
      this.p11.C_SignInit(session, mechanism, key);
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
    return this.guardAsync(slotId, params.serialNumber, async () => {
      const slot = this.slotSession(slotId);
      if (slot.serialNumber !== params.serialNumber) {
        this.dropSession(slotId);
        throw new KysoError('TOKEN_REMOVED', { slotId, reason: 'another token is in the slot' });
      }
      const pin = slot.protectedPath ? undefined : params.pin;
      if (!this.isLoggedIn(slotId)) {
        if (pin === undefined && !slot.protectedPath) {
          throw new KysoError('PIN_REQUIRED', { slotId });
        }
        this.login(slotId, slot.handle, pin, pkcs11js.CKU_USER);
      }
      try {
        const { key, alwaysAuthenticate } = this.privateKey(slotId, slot, params.keyId);
        // Such a key wants the PIN for every signature, even while the token is logged in.
        if (alwaysAuthenticate && pin === undefined && !slot.protectedPath) {
          throw new KysoError('PIN_REQUIRED', { slotId, reason: 'key needs the PIN each time' });
        }
        const contextLogin = alwaysAuthenticate
          ? () => this.login(slotId, slot.handle, pin, pkcs11js.CKU_CONTEXT_SPECIFIC)
          : undefined;
        try {
          const signatures = await this.signDigests(slot.handle, key, params, contextLogin);
          return { signatures, alwaysAuthenticate };
        } catch (error) {
          // A failed step can leave the signing operation open on the session; closing
          // the session is the only portable way to end it.
          this.dropSession(slotId);
          throw error;
        }
      } finally {
        if (!params.stayLoggedIn) this.logout(slotId);
      }
    });
  }

  private mechanismFor(
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

  /**
   * Runs a slot operation; when it fails in a way a removed token causes, checks whether the
   * token is still there and reports TOKEN_REMOVED if not.
   */
  private guard<T>(slotId: string, serialNumber: string | undefined, operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      const ckr = ckrOf(error);
      if (ckr !== undefined && PRESENCE_SUSPECT.has(ckr)) {
        this.dropSession(slotId);
        if (!this.tokenStillThere(slotId, serialNumber)) {
          this.markVanished(slotId, serialNumber);
          throw new KysoError('TOKEN_REMOVED', { slotId, ckr: ckrName(ckr) });
        }
      }
      throw fromPkcs11(error, { slotId });
    }
  }

  private async guardAsync<T>(
    slotId: string,
    serialNumber: string | undefined,
    operation: () => Promise<T>,
  ): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      return this.guard(slotId, serialNumber, () => {
        throw error;
      });
    }
  }

  private tokenStillThere(slotId: string, serialNumber: string | undefined): boolean {
    try {
      const handle = this.slots.get(slotId);
      if (!handle) return false;
      const token = this.p11.C_GetTokenInfo(handle);
      return serialNumber === undefined || token.serialNumber.trim() === serialNumber;
    } catch {
      return false;
    }
  }
}
