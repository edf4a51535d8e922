/** Chain building lives in agent/pki/chain.ts; re-exported here for the CMS users. */
export { buildChain, loadCertificates, type ChainResult } from '../pki/chain.ts';
