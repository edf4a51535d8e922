/**
 * Optional PIN cache, per token: after a good PIN the token stays logged in (token service
 * `stayLoggedIn`) until the time limit, then we log it out. Off by default. Removing the token
 * forgets it at once (the session died with the device anyway).
 */
import type { PinCachePolicy } from '../config/index.ts';
import type { TokenService } from '../tokens/index.ts';

export class PinCache {
  private readonly expiries = new Map<string, NodeJS.Timeout>();
  private readonly policy: PinCachePolicy;
  private readonly tokens: TokenService;

  constructor(policy: PinCachePolicy, tokens: TokenService) {
    this.policy = policy;
    this.tokens = tokens;
  }

  get enabled(): boolean {
    return this.policy.enabled;
  }

  has(tokenId: string): boolean {
    return this.expiries.has(tokenId);
  }

  /** Starts (or keeps) the time limit for a token that just logged in with a PIN. */
  remember(tokenId: string): void {
    if (!this.policy.enabled || this.expiries.has(tokenId)) return;
    const timer = setTimeout(() => void this.expire(tokenId), this.policy.ttlSeconds * 1000);
    timer.unref();
    this.expiries.set(tokenId, timer);
  }

  /** Forgets a token without touching it (removed, or its session is gone). */
  forget(tokenId: string): void {
    const timer = this.expiries.get(tokenId);
    if (timer) clearTimeout(timer);
    this.expiries.delete(tokenId);
  }

  async expire(tokenId: string): Promise<void> {
    this.forget(tokenId);
    await this.tokens.logout(tokenId).catch(() => undefined);
  }

  /** Logs out every cached token (agent stopping). */
  async clear(): Promise<void> {
    await Promise.all([...this.expiries.keys()].map((id) => this.expire(id)));
  }
}
