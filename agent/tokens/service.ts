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
import { TokenHost } from './host-process.ts';
import type { RawSlot } from './host/protocol.ts';
import { findInstalledModules } from './known-modules.ts';
import { assertDigest, defaultScheme, schemeFitsKey } from './mechanisms.ts';
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

function moduleName(path: string): string {
  return basename(path).replace(/\.(so|dll|dylib)(\.\d+)*$/i, '');
}

function toTokenInfo(moduleId: string, slot: RawSlot): TokenInfo | undefined {
  const token = slot.token;
  if (!slot.present || !token) return undefined;
  const has = (bit: number) => (token.flags & bit) !== 0;
  // An empty slot of a software token (SoftHSM2's free slot) holds nothing to sign with.
  if (!has(CKF_TOKEN_INITIALIZED)) return undefined;
  return {
    id: `${moduleName(moduleId)}:${token.serialNumber || `slot${slot.slotId}`}`,
    moduleId,
    slotId: slot.slotId,
    slotDescription: slot.slotDescription,
    label: token.label,
    serialNumber: token.serialNumber,
    manufacturer: token.manufacturer,
    model: token.model,
    present: true,
    loginRequired: has(CKF_LOGIN_REQUIRED),
    protectedAuthenticationPath: has(CKF_PROTECTED_AUTHENTICATION_PATH),
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
  /**
   * Certificate id → token it was on, for tokens that went away: signing with one of them is
   * TOKEN_REMOVED ("plug it in again"), not CERTIFICATE_NOT_FOUND.
   */
  private readonly departed = new Map<string, TokenInfo>();
  private readonly listeners = new Set<(event: TokenEvent) => void>();
  private scanning: Promise<TokenInfo[]> | undefined;
  private poller: NodeJS.Timeout | undefined;

  constructor(modulePaths: string[], options: TokenServiceOptions) {
    this.hosts = modulePaths.map(
      (modulePath) =>
        new TokenHost({
          modulePath,
          env: options.env ?? {},
          callTimeoutMs: options.callTimeoutMs ?? 30_000,
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
          const slots = await host.call('listSlots', { refreshIfStale: true });
          for (const slot of slots) {
            const info = toTokenInfo(host.status.path, slot);
            if (info) next.set(info.id, { info, host });
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

  private async certificatesOf(entry: TokenEntry): Promise<CertificateInfo[]> {
    const cached = this.certificates.get(entry.info.id);
    if (cached) return cached;
    const raw = await entry.host.call('listCertificates', { slotId: entry.info.slotId });
    const parsed = raw.flatMap((item): CertificateInfo[] => {
      try {
        return [
          {
            ...parseCertificate(Buffer.from(item.der)),
            tokenId: entry.info.id,
            label: item.label,
            keyId: item.keyId,
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
    if (!certificate.hasPrivateKey) throw new KysoError('KEY_NOT_FOUND', { certificateId });
    const first = items[0];
    if (!first) return [];
    const scheme = first.scheme ?? defaultScheme(certificate.keyAlgorithm);
    for (const item of items) {
      assertDigest(item.hashAlgorithm, item.digest);
      const itemScheme = item.scheme ?? scheme;
      if (itemScheme !== scheme || item.hashAlgorithm !== first.hashAlgorithm) {
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
          keyId: certificate.keyId,
          scheme,
          hashAlgorithm: first.hashAlgorithm,
          digests: items.map((item) => item.digest),
          ...(credentials.pin === undefined ? {} : { pin: credentials.pin }),
          stayLoggedIn: credentials.stayLoggedIn ?? false,
        },
        items.length,
      );
      // Learnt at login: later listings and PIN-cache decisions see it.
      certificate.alwaysAuthenticate = alwaysAuthenticate;
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
