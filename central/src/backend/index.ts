export {
  BACKEND_ORDER, DEFAULT_CALIBRATION, selectComputeBackend,
  type BackendName, type BackendSelection, type CalibrationShape, type ComputeBackend, type SelectBackendOptions,
} from './compute-backend.js';
export { typedArrayBackend } from './typed-array-backend.js';
export { tfjsBackend, type TfModule } from './tfjs-backend.js';
