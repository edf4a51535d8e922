/**
 * The session pool of one module: a session per slot (opened on first use, with what we learnt
 * about its token), spare sessions for signatures side by side, and the token-wide login.
 */
import pkcs11js from 'pkcs11js';
import { KysoError } from '../../errors/index.ts';
import { pinStateFromFlags } from '../flags.ts';
import { findPrivateKey, type KeyQuery, type PrivateKey } from './objects.ts';
import {
  CKR_USER_ALREADY_LOGGED_IN,
  CKR_USER_NOT_LOGGED_IN,
  ckrOf,
  fromPkcs11,
} from './pkcs11-errors.ts';

const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;

/** An open session on a slot, with what we learnt about its token when we opened it. */
export interface SlotSession {
  handle: Buffer;
  serialNumber: string;
  label: string;
  protectedPath: boolean;
  /** CKF_LOGIN_REQUIRED: without it the token signs with no login at all. */
  loginRequired: boolean;
  /** The token's mechanisms, read on first signature (undefined: the module would not say). */
  mechanisms?: ReadonlySet<number> | undefined;
  /** Private key handle and CKA_ALWAYS_AUTHENTICATE by certificate; valid while logged in. */
  keys: Map<string, PrivateKey>;
  /** Idle extra sessions for signatures that run side by side (the login is token-wide). */
  spare: Buffer[];
}

export class SessionPool {
  private readonly sessions = new Map<string, SlotSession>();
  /** Slots logged in as CKU_USER. */
  readonly loggedIn = new Set<string>();

  constructor(
    private readonly p11: pkcs11js.PKCS11,
    /** The slot handle for a slot id (TOKEN_NOT_PRESENT when there is none). */
    private readonly slotHandle: (slotId: string) => Buffer,
  ) {}

  get(slotId: string): SlotSession | undefined {
    return this.sessions.get(slotId);
  }

  /**
   * The slot's session, opened on first use. The token's serial and flags are read once here:
   * a token swapped in the slot invalidates the session, so later calls need not re-check.
   */
  open(slotId: string): SlotSession {
    const existing = this.sessions.get(slotId);
    if (existing) return existing;
    const slot = this.slotHandle(slotId);
    const token = this.p11.C_GetTokenInfo(slot);
    const created: SlotSession = {
      handle: this.p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION),
      serialNumber: token.serialNumber.trim(),
      label: token.label.trim(),
      protectedPath: (token.flags & pkcs11js.CKF_PROTECTED_AUTHENTICATION_PATH) !== 0,
      loginRequired: (token.flags & pkcs11js.CKF_LOGIN_REQUIRED) !== 0,
      keys: new Map(),
      spare: [],
    };
    this.sessions.set(slotId, created);
    return created;
  }

  drop(slotId: string): void {
    const session = this.sessions.get(slotId);
    this.sessions.delete(slotId);
    this.loggedIn.delete(slotId);
    if (!session) return;
    for (const handle of [session.handle, ...session.spare]) this.close(handle);
  }

  close(handle: Buffer): void {
    try {
      this.p11.C_CloseSession(handle);
    } catch {
      // The session may already be gone with the token.
    }
  }

  /** Forgets every session and login without closing them: the module is re-initialised. */
  forgetAll(): void {
    this.sessions.clear();
    this.loggedIn.clear();
  }

  isLoggedIn(slotId: string): boolean {
    const session = this.sessions.get(slotId);
    if (!session) return false;
    try {
      return this.loginState(session);
    } catch {
      this.drop(slotId);
      return false;
    }
  }

  /**
   * Whether the session is logged in; throws what C_GetSessionInfo throws, so a session the
   * module closed with a removed token is not mistaken for "not logged in" (PIN_REQUIRED).
   */
  loginState(session: SlotSession): boolean {
    const state = this.p11.C_GetSessionInfo(session.handle).state;
    return state === CKS_RO_USER_FUNCTIONS || state === CKS_RW_USER_FUNCTIONS;
  }

  /** The token's mechanism list, read once per session (= per token insertion). */
  mechanisms(slotId: string, session: SlotSession): ReadonlySet<number> | undefined {
    if (!('mechanisms' in session)) {
      try {
        session.mechanisms = new Set(this.p11.C_GetMechanismList(this.slotHandle(slotId)));
      } catch {
        session.mechanisms = undefined;
      }
    }
    return session.mechanisms;
  }

  logout(slotId: string): void {
    const session = this.sessions.get(slotId);
    this.loggedIn.delete(slotId);
    if (!session) return;
    session.keys.clear();
    try {
      this.p11.C_Logout(session.handle);
    } catch (error) {
      if (ckrOf(error) !== CKR_USER_NOT_LOGGED_IN) this.drop(slotId);
    }
  }

  login(slotId: string, session: Buffer, pin: string | undefined, userType: number): void {
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

  /** The private key of a certificate, looked up once per login. */
  privateKey(slot: SlotSession, cacheKey: string, query: KeyQuery): PrivateKey {
    const cached = slot.keys.get(cacheKey);
    if (cached) return cached;
    const found = findPrivateKey(this.p11, slot.handle, query);
    slot.keys.set(cacheKey, found);
    return found;
  }

  private pinFlags(slotId: string): Partial<Record<'countLow' | 'finalTry' | 'locked', boolean>> {
    try {
      const { countLow, finalTry, locked } = pinStateFromFlags(
        this.p11.C_GetTokenInfo(this.slotHandle(slotId)).flags,
      );
      return { countLow, finalTry, locked };
    } catch {
      return {};
    }
  }
}
