export { parseCertificate, parseName, isValidAt, type ParsedCertificate } from './certificate.ts';
