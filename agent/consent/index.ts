/** How the agent asks its user. Implementations: terminal, scripted (tray lives in tray/). */
export type {
  ConsentProvider,
  DocumentToSign,
  OriginApprovalRequest,
  PinRequest,
  ReaderPinOutcome,
  ReaderPinPrompt,
  SigningApprovalRequest,
} from './types.ts';
export {
  hasTerminal,
  isSafeDisplayText,
  TerminalConsent,
  type TerminalConsentOptions,
} from './terminal.ts';
export { CommandLineConsent, type PinSource } from './command-line.ts';
export {
  ScriptedConsent,
  parseConsentScript,
  type ConsentLogEntry,
  type ConsentScript,
} from './scripted.ts';
export {
  ConsentQueue,
  DEFAULT_MAX_PENDING_PER_ORIGIN,
  type ConsentQueueOptions,
  type ConsentRunOptions,
} from './queue.ts';
export { DEFAULT_REFUSAL_POLICY, RefusalMemory, type RefusalPolicy } from './refusal.ts';
