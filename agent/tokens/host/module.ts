/**
 * Synchronous PKCS#11 calls for one module, run only inside a token host process: loading and
 * re-initialising the module, the slot scan, and the guard that turns a failure a removed
 * token causes into TOKEN_REMOVED. Sessions, key discovery and signing live beside it.
 * Every failure leaves here as a KysoError with a stable code mapped from the numeric CKR value.
 */
import pkcs11js from 'pkcs11js';
import { KysoError, ckrName } from '../../errors/index.ts';
import { listCertificates } from './objects.ts';
import {
  CKR_CANT_LOCK,
  CKR_CRYPTOKI_ALREADY_INITIALIZED,
  PRESENCE_SUSPECT,
  ckrOf,
  fromPkcs11,
} from './pkcs11-errors.ts';
import type {
  HostLoginParams,
  HostSignParams,
  HostSignResult,
  ModuleInfo,
  RawCertificate,
  RawSlot,
} from './protocol.ts';
import { SessionPool } from './sessions.ts';
import { SlotSigner } from './signing.ts';

// Flags pkcs11js does not export.
const CKF_TOKEN_PRESENT = 0x1;
const CKF_REMOVABLE_DEVICE = 0x2;
const CKF_HW_SLOT = 0x4;

function slotKey(handle: Buffer): string {
  return handle.length >= 8
    ? handle.readBigUInt64LE(0).toString()
    : handle.readUInt32LE(0).toString();
}

export class Pkcs11Module {
  private readonly p11 = new pkcs11js.PKCS11();
  private readonly slots = new Map<string, Buffer>();
  private readonly pool = new SessionPool(this.p11, (slotId) => this.handle(slotId));
  private readonly signer = new SlotSigner({
    p11: this.p11,
    pool: this.pool,
    slotHandle: (slotId) => this.handle(slotId),
    guardAsync: (slotId, serialNumber, operation) =>
      this.guardAsync(slotId, serialNumber, operation),
    tokenPresent: (slotId, serialNumber) => this.tokenStillThere(slotId, serialNumber),
  });
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
    this.pool.forgetAll();
    this.slots.clear();
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
      if (this.pool.loggedIn.size === 0 && this.signer.inFlight === 0) this.reinitialize();
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
        loggedIn: this.pool.loggedIn.has(slotId),
      };
      // Modules close a removed token's sessions (OpenSC does as soon as it notices): ours
      // must go too, or the next signature would take the dead session for a lost login.
      if (!slot.present && this.pool.get(slotId)) this.pool.drop(slotId);
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
          this.pool.drop(slotId);
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

  listCertificates(slotId: string): RawCertificate[] {
    return this.guard(slotId, undefined, () => {
      const session = this.pool.open(slotId);
      return listCertificates(this.p11, session.handle, {
        loggedIn: session.loginRequired && this.pool.isLoggedIn(slotId),
        loginRequired: session.loginRequired,
      });
    });
  }

  isLoggedIn(slotId: string): boolean {
    return this.pool.isLoggedIn(slotId);
  }

  logout(slotId: string): void {
    this.pool.logout(slotId);
  }

  /**
   * Runs an operation in the slot's queue: exclusive ones alone (so a session never has two
   * operations at once and callers never see CKR_OPERATION_ACTIVE), shared signatures side by
   * side on their own sessions. Different slots run in parallel on libuv's threads.
   */
  runOnSlot<T>(slotId: string, operation: () => T | Promise<T>, exclusive = true): Promise<T> {
    return this.signer.runOnSlot(slotId, operation, exclusive);
  }

  login(params: HostLoginParams): Promise<void> {
    return this.signer.login(params);
  }

  sign(params: HostSignParams): Promise<HostSignResult> {
    return this.signer.sign(params);
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
        this.pool.drop(slotId);
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
      // A fresh slot list makes modules that cache presence (OpenSC, ~1 s) look at the reader.
      if (!this.p11.C_GetSlotList(true).some((h) => slotKey(h) === slotId)) return false;
      const token = this.p11.C_GetTokenInfo(handle);
      return serialNumber === undefined || token.serialNumber.trim() === serialNumber;
    } catch {
      return false;
    }
  }
}
