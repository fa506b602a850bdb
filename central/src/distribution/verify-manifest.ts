// Edges and central verify releases with the same code: services/src/common/manifest-verification.ts.
export {
  keyIdOf, verifyArtifact, verifyManifest, type ManifestErrorCode, type PublicKeys, type VerifyResult,
} from '@edgerec/services/common';
