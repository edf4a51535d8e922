/** Start-up wiring shared by `kyso start`, the tray and the tests. */
export {
  createAgentServer,
  createSigning,
  startAgent,
  type AgentServerParts,
  type RunningAgent,
  type SigningParts,
  type StartAgentOptions,
} from './wiring.ts';
