export {
  createSigner, keyIdOf, loadOrCreateSigner, DEFAULT_KEY_FILE, PUBLIC_KEY_FILE, SIGNING_KEY_ENV,
  type LoadSignerOptions, type ManifestSigner,
} from './signer.js';
export { verifyArtifact, verifyManifest, type ManifestErrorCode, type PublicKeys, type VerifyResult } from './verify-manifest.js';
export { ModelPublisher, type PublisherDeps } from './publisher.js';
export { buildArtifacts, type ModelArtifacts, type SnapshotCodecName } from './model-artifacts.js';
