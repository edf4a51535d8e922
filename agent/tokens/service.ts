/**
 * The token service across all loaded modules: token and certificate listing with parsed
 * certificates, signing through each module's host process, and insert/remove events from
 * slot polling.
 */
import { basename } from 'node:path';
import { KysoError, toKysoError } from '../errors/index.ts';
import { parseCertificate } from '../pki/index.ts';
import type { BatchSignItem, CertificateFilter, TokenService, TokenServiceOptions } from './api.ts';
import {
  CKF_LOGIN_REQUIRED,
  CKF_PROTECTED_AUTHENTICATION_PATH,
  CKF_TOKEN_INITIALIZED,
  pinStateFromFlags,
} from './flags.ts';
import { TokenHost, type CallAllowance } from './host-process.ts';
import type { RawSlot } from './host/protocol.ts';
import { findInstalledModules } from './known-modules.ts';
import { assertDigest, defaultScheme, schemeFitsKey } from './mechanisms.ts';
import { TokenIds } from './token-id.ts';
import type {
  CertificateInfo,
  Credentials,
  ModuleStatus,
  SignRequest,
  SignResult,
  TokenEvent,
  TokenInfo,
} from './types.ts';

interface TokenEntry {
  info: TokenInfo;
  host: TokenHost;
}

/** Each certificate's DER, decoded once: every signature sends it to the host. */
const certificateDer = new WeakMap<CertificateInfo, Buffer>();

function derOf(certificate: CertificateInfo): Buffer {
  let der = certificateDer.get(certificate);
  if (!der) {
    der = Buffer.from(certificate.certificate, 'base64');
    certificateDer.set(certificate, der);
  }
  return der;
}

function moduleName(path: string): string {
  return basename(path).replace(/\.(so|dll|dylib)(\.\d+)*$/i, '');
}

type PresentSlot = RawSlot & { token: NonNullable<RawSlot['token']> };

/** Slots with a token to sign with: an empty slot of a software token (SoftHSM2's free slot) has none. */
function usable(slot: RawSlot): slot is PresentSlot {
  return (
    slot.present && slot.token !== undefined && (slot.token.flags & CKF_TOKEN_INITIALIZED) !== 0
  );
}

function toTokenInfo(moduleId: string, slot: PresentSlot, id: string): TokenInfo {
  const token = slot.token;
  const has = (bit: number) => (token.flags & bit) !== 0;
  const loginRequired = has(CKF_LOGIN_REQUIRED);
  const pinPad = has(CKF_PROTECTED_AUTHENTICATION_PATH);
  return {
    id,
    moduleId,
    slotId: slot.slotId,
    slotDescription: slot.slotDescription,
    label: token.label,
    serialNumber: token.serialNumber,
    manufacturer: token.manufacturer,
    model: token.model,
    present: true,
    loginRequired,
    protectedAuthenticationPath: pinPad,
    pinEntry: !loginRequired ? 'none' : pinPad ? 'reader' : 'host',
    mayHoldMoreAfterLogin: loginRequired && slot.loggedIn !== true,
    hardwareSlot: slot.hardwareSlot,
    removableDevice: slot.removableDevice,
    pin: pinStateFromFlags(token.flags),
    minPinLength: token.minPinLength,
    maxPinLength: token.maxPinLength,
  };
}

class Pkcs11TokenService implements TokenService {
  private readonly hosts: TokenHost[];
  private tokens = new Map<string, TokenEntry>();
  private readonly certificates = new Map<string, CertificateInfo[]>();
  /** Tokens logged in since their certificates were read: private objects may show now. */
  private readonly relist = new Set<string>();
  /** Certificate listings in flight, by token id (shared by everyone who asks meanwhile). */
  private readonly listing = new Map<string, Promise<CertificateInfo[]>>();
  private readonly ids = new TokenIds();
  /**
   * Certificate id → token it was on, for tokens that went away: signing with one of them is
   * TOKEN_REMOVED ("plug it in again"), not CERTIFICATE_NOT_FOUND.
   */
  private readonly departed = new Map<string, TokenInfo>();
  private readonly listeners = new Set<(event: TokenEvent) => void>();
  private scanning: Promise<TokenInfo[]> | undefined;
  private poller: NodeJS.Timeout | undefined;

  private readonly callTimeoutMs: number;
  private readonly pinPadTimeoutMs: number;

  constructor(modulePaths: string[], options: TokenServiceOptions) {
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.pinPadTimeoutMs = options.pinPadTimeoutMs ?? 180_000;
    this.hosts = modulePaths.map(
      (modulePath) =>
        new TokenHost({
          modulePath,
          env: options.env ?? {},
          callTimeoutMs: this.callTimeoutMs,
          onStatus: (module) => this.emit({ type: 'module.status', module }),
        }),
    );
    const interval = options.pollIntervalMs ?? 1000;
    if (interval > 0) {
      this.poller = setInterval(() => {
        this.rescan().catch(() => undefined);
      }, interval);
      this.poller.unref();
    }
  }

  async start(): Promise<void> {
    // A module that fails to load is reported in modules(); the others keep working.
    await Promise.allSettled(this.hosts.map((host) => host.start()));
    await this.rescan();
  }

  modules(): ModuleStatus[] {
    return this.hosts.map((host) => host.status);
  }

  private emit(event: TokenEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  onEvent(listener: (event: TokenEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  rescan(): Promise<TokenInfo[]> {
    this.scanning ??= this.scan().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scan(): Promise<TokenInfo[]> {
    const next = new Map<string, TokenEntry>();
    await Promise.all(
      this.hosts.map(async (host) => {
        if (host.status.state === 'failed') return;
        try {
          const slots = (await host.call('listSlots', { refreshIfStale: true })).filter(usable);
          const ids = this.ids.assign(
            moduleName(host.status.path),
            slots.map((slot) => ({
              slotId: slot.slotId,
              slotDescription: slot.slotDescription,
              ...slot.token,
            })),
          );
          for (const slot of slots) {
            const info = toTokenInfo(host.status.path, slot, ids.get(slot.slotId) ?? slot.slotId);
            next.set(info.id, { info, host });
          }
        } catch {
          // Module crashed or hung: its tokens count as gone until the host is back.
        }
      }),
    );
    const previous = this.tokens;
    this.tokens = next;
    const added = [...next.values()].filter((e) => !previous.has(e.info.id)).map((e) => e.info);
    const removed = [...previous.values()].filter((e) => !next.has(e.info.id)).map((e) => e.info);
    for (const token of removed) {
      for (const certificate of this.certificates.get(token.id) ?? []) {
        this.departed.set(certificate.id, token);
      }
      this.certificates.delete(token.id);
      this.relist.delete(token.id);
    }
    const tokens = [...next.values()].map((e) => e.info);
    if (added.length > 0 || removed.length > 0) {
      this.emit({ type: 'tokens.changed', added, removed, tokens });
    }
    return tokens;
  }

  async listTokens(): Promise<TokenInfo[]> {
    return this.rescan();
  }

  async getToken(tokenId: string): Promise<TokenInfo> {
    // Polling keeps the cache fresh; only an unknown id costs a scan (signing hot path).
    const cached = this.tokens.get(tokenId);
    if (cached) return cached.info;
    const tokens = await this.listTokens();
    const token = tokens.find((t) => t.id === tokenId);
    if (!token) throw new KysoError('TOKEN_NOT_PRESENT', { tokenId });
    return token;
  }

  private certificatesOf(entry: TokenEntry): Promise<CertificateInfo[]> {
    const cached = this.certificates.get(entry.info.id);
    if (cached && !this.relist.has(entry.info.id)) return Promise.resolve(cached);
    // One listing per token at a time: a burst of first requests (a page sending 1,000 right
    // after start) would otherwise queue 1,000 listings on the host and time out behind them.
    let listing = this.listing.get(entry.info.id);
    if (!listing) {
      this.relist.delete(entry.info.id);
      listing = this.readCertificates(entry).finally(() => this.listing.delete(entry.info.id));
      this.listing.set(entry.info.id, listing);
    }
    return listing;
  }

  private async readCertificates(entry: TokenEntry): Promise<CertificateInfo[]> {
    const raw = await entry.host.call('listCertificates', { slotId: entry.info.slotId });
    const parsed = raw.flatMap((item): CertificateInfo[] => {
      try {
        return [
          {
            ...parseCertificate(Buffer.from(item.der)),
            tokenId: entry.info.id,
            label: item.label,
            keyId: item.keyId,
            privateKey: item.privateKey,
            hasPrivateKey: item.hasPrivateKey,
            alwaysAuthenticate: item.alwaysAuthenticate,
          },
        ];
      } catch {
        return []; // An unparsable certificate object is skipped, not fatal.
      }
    });
    this.certificates.set(entry.info.id, parsed);
    return parsed;
  }

  async listCertificates(filter: CertificateFilter = {}): Promise<CertificateInfo[]> {
    // With polling on, the token list is at most one interval old: reading certificates (for
    // every certificates.list and every PDF's chain) need not query every slot again.
    if (!this.poller || this.tokens.size === 0) await this.rescan();
    const entries = [...this.tokens.values()].filter(
      (entry) => filter.tokenId === undefined || entry.info.id === filter.tokenId,
    );
    // One retry: a token can fail a read transiently (SoftHSM2 while another process logs in
    // rewrites its file; a busy card). A token that still fails is left out, not fatal.
    const lists = await Promise.all(
      entries.map((entry) =>
        this.certificatesOf(entry)
          .catch(() => this.certificatesOf(entry))
          .catch(() => [] as CertificateInfo[]),
      ),
    );
    const withKey = filter.withPrivateKey ?? true;
    return lists.flat().filter((c) => !withKey || c.hasPrivateKey);
  }

  private async findCertificate(
    certificateId: string,
  ): Promise<{ certificate: CertificateInfo; entry: TokenEntry }> {
    const id = certificateId.toLowerCase();
    const lookup = () => {
      for (const entry of this.tokens.values()) {
        const certificate = this.certificates.get(entry.info.id)?.find((c) => c.id === id);
        if (certificate) return { certificate, entry };
      }
      return undefined;
    };
    const cached = lookup();
    if (cached) return cached;
    await this.listCertificates({ withPrivateKey: false });
    const found = lookup();
    if (!found) {
      const token = this.departed.get(id);
      if (token) throw new KysoError('TOKEN_REMOVED', { certificateId, tokenId: token.id });
      throw new KysoError('CERTIFICATE_NOT_FOUND', { certificateId });
    }
    this.departed.delete(id);
    return found;
  }

  async getCertificate(certificateId: string): Promise<CertificateInfo> {
    return (await this.findCertificate(certificateId)).certificate;
  }

  async sign(request: SignRequest, credentials: Credentials): Promise<SignResult> {
    const [result] = await this.signMany(request.certificateId, [request], credentials);
    if (!result) throw new KysoError('SIGNING_FAILED');
    return result;
  }

  async signMany(
    certificateId: string,
    items: BatchSignItem[],
    credentials: Credentials,
  ): Promise<SignResult[]> {
    if (items.length === 0) return [];
    const { certificate, entry } = await this.findCertificate(certificateId);
    // 'after-login' goes on to the PIN: only the token, logged in, can say the key is missing.
    if (!certificate.hasPrivateKey) {
      throw new KysoError('KEY_NOT_FOUND', { certificateId, reason: 'no key on the token' });
    }
    const first = items[0];
    if (!first) return [];
    const scheme = first.scheme ?? defaultScheme(certificate.keyAlgorithm);
    const input = first.data === undefined ? 'digest' : 'data';
    for (const item of items) {
      if (item.digest !== undefined) assertDigest(item.hashAlgorithm, item.digest);
      const itemScheme = item.scheme ?? scheme;
      const itemInput = item.data === undefined ? 'digest' : 'data';
      if (
        itemScheme !== scheme ||
        item.hashAlgorithm !== first.hashAlgorithm ||
        itemInput !== input
      ) {
        // One host call signs with one mechanism; mixed batches are split by the caller.
        return this.signMixed(certificateId, items, credentials);
      }
      if (!schemeFitsKey(itemScheme, certificate.keyAlgorithm)) {
        throw new KysoError('MECHANISM_UNSUPPORTED', {
          scheme: itemScheme,
          keyAlgorithm: certificate.keyAlgorithm,
        });
      }
    }
    try {
      const { signatures, alwaysAuthenticate } = await entry.host.call(
        'sign',
        {
          slotId: entry.info.slotId,
          serialNumber: entry.info.serialNumber,
          label: entry.info.label,
          keyId: certificate.keyId,
          certificate: derOf(certificate),
          certificateLabel: certificate.label,
          scheme,
          hashAlgorithm: first.hashAlgorithm,
          input,
          digests: items.map((item) => item.digest ?? item.data),
          ...(credentials.pin === undefined ? {} : { pin: credentials.pin }),
          stayLoggedIn: credentials.stayLoggedIn ?? false,
        },
        this.allowance(entry.info, items.length, certificate.alwaysAuthenticate === true),
      );
      // Learnt at login: later listings and PIN-cache decisions see it.
      certificate.alwaysAuthenticate = alwaysAuthenticate;
      if (certificate.privateKey === 'after-login') certificate.privateKey = 'present';
      // Logged in now: certificates stored as private objects show on the next listing.
      if (credentials.stayLoggedIn === true && entry.info.loginRequired) {
        this.relist.add(entry.info.id);
      }
      return signatures.map((signature) => ({
        signature: Buffer.from(signature),
        scheme,
        hashAlgorithm: first.hashAlgorithm,
        certificateId: certificate.id,
      }));
    } catch (error) {
      const kysoError = toKysoError(error);
      if (kysoError.code === 'TOKEN_REMOVED' || kysoError.code === 'MODULE_CRASHED') {
        this.rescan().catch(() => undefined);
      }
      throw kysoError;
    }
  }

  /**
   * The hang watchdog's allowance for a call that may log in, in callTimeoutMs: one per
   * signature, plus on a PIN-pad reader the time the user may take at the keypad (C_Login
   * waits for it): once, or per signature for a key that wants the PIN each time.
   */
  private allowance(info: TokenInfo, signatures: number, pinEachTime: boolean): CallAllowance {
    if (info.pinEntry !== 'reader') return { weight: signatures };
    const keypad = this.pinPadTimeoutMs / this.callTimeoutMs;
    return { weight: signatures + keypad * (pinEachTime ? signatures : 1), keypad: true };
  }

  private async signMixed(certificateId: string, items: BatchSignItem[], credentials: Credentials) {
    const results: SignResult[] = [];
    for (const [index, item] of items.entries()) {
      const last = index === items.length - 1;
      const stayLoggedIn = last ? (credentials.stayLoggedIn ?? false) : true;
      const [result] = await this.signMany(certificateId, [item], { ...credentials, stayLoggedIn });
      if (result) results.push(result);
    }
    return results;
  }

  async login(tokenId: string, credentials: Credentials): Promise<void> {
    const entry = this.tokens.get(tokenId);
    if (!entry) throw new KysoError('TOKEN_NOT_PRESENT', { tokenId });
    await entry.host.call(
      'login',
      {
        slotId: entry.info.slotId,
        serialNumber: entry.info.serialNumber,
        label: entry.info.label,
        ...(credentials.pin === undefined ? {} : { pin: credentials.pin }),
      },
      this.allowance(entry.info, 1, false),
    );
    this.relist.add(tokenId);
  }

  async isLoggedIn(tokenId: string): Promise<boolean> {
    const entry = this.tokens.get(tokenId);
    if (!entry) return false;
    return entry.host.call('isLoggedIn', { slotId: entry.info.slotId });
  }

  async logout(tokenId: string): Promise<void> {
    const entry = this.tokens.get(tokenId);
    if (!entry) return;
    await entry.host.call('logout', { slotId: entry.info.slotId });
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.listeners.clear();
    await Promise.all(this.hosts.map((host) => host.close()));
  }
}

export async function startTokenService(options: TokenServiceOptions = {}): Promise<TokenService> {
  const modules =
    options.modules && options.modules.length > 0 ? options.modules : findInstalledModules();
  const service = new Pkcs11TokenService([...new Set(modules)], options);
  await service.start();
  return service;
}
