/** `kyso doctor`: diagnostics an IT officer reads top to bottom, and a redacted support bundle. */
export { runDoctor, agentVersion, type DoctorOptions } from './run.ts';
export { formatReport } from './format.ts';
export { buildBundle, redact, redactString, writeBundle, type RedactContext } from './bundle.ts';
export { checkPort, findSocketOwner, listeningInodes, probePort, type PortState } from './port.ts';
export { checkChain, loadTrustBundle, splitPem } from './chain.ts';
export { BROWSERS, linuxPolicySnippet, registrySnippet, POLICY_NAMES } from './browser.ts';
export * from './checks.ts';
export {
  bySeverity,
  countsText,
  exitCodeFor,
  severityCounts,
  worstOf,
  SEVERITY_ORDER,
  type DoctorReport,
  type Finding,
  type Severity,
} from './types.ts';
