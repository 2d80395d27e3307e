// Public surface of the PKI library. Everything here is free of I/O: the controller stores keys in
// Secrets and writes files over SSH with what these functions return.
export * from './errors.ts';
export type * from './spec.ts';
export { certificateLabel, sansOf, subjectOf } from './spec.ts';
export { defineCertificateSet, type CertificateSet } from './certificate-set.ts';
export { kubeadmCertificateSet, CLUSTER_ADMINS_GROUP, MASTERS_GROUP } from './kubeadm-set.ts';
export { altNames } from './alt-names.ts';
export { canonicalIp, firstAddress, isIpAddress, nthAddress } from './ip.ts';
export { DEFAULT_KEY_ALGORITHM, describeKey, type KeyAlgorithm, type KeyInfo } from './key-algorithm.ts';
export { resolveOptions, type GenerationOptions } from './options.ts';
export {
  decodeCertificate,
  decodePrivateKey,
  decodePublicKey,
  encodeCertificate,
  keyMatchesCertificate,
  type PrivateKey,
} from './pem.ts';
export { generateAuthority, loadAuthority, type Authority, type AuthorityPem } from './authority.ts';
export {
  generateServiceAccountKey,
  issueCertificate,
  loadServiceAccountKey,
  type IssuedCertificate,
  type ServiceAccountKey,
} from './issue.ts';
export {
  generateClusterPki,
  issueClusterCertificates,
  issueHostCertificates,
  loadOrGenerateAuthorities,
  type ClusterPki,
  type ClusterPkiInput,
  type PlannedHost,
} from './cluster-pki.ts';
export {
  DEFAULT_RENEW_WITHIN_DAYS,
  verdict,
  verifyAuthorityFiles,
  verifyCertificate,
  verifyServiceAccountFiles,
  type CertificateDifference,
  type Consequence,
  type VerifyCertificateInput,
} from './verify.ts';
export * from './secrets.ts';
export {
  apiServerURL,
  buildKubeconfig,
  kubeconfigFor,
  kubeconfigServer,
  readKubeconfig,
  type KubeconfigContent,
  type KubeconfigInput,
} from './kubeconfig.ts';
export * from './host-files.ts';
export { reviewHostFiles, type FileAction, type HostReview, type HostReviewInput } from './review.ts';
export { clusterExpiryReport, expiryReport, type ExpiryEntry, type ExpiryItem } from './expiry.ts';
