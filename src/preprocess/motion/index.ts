/**
 * Motion correction: rigid 6-DOF registration of each volume to the reference, realignment sampling,
 * and framewise displacement. Conventions of the parameters and matrices: rigid.ts.
 */
export { MotionCorrector, type MotionEstimate } from './corrector.js';
export { defaultMotionOptions, type MotionOptions } from './options.js';
export { framewiseDisplacement } from './fd.js';
export {
  fovCentre,
  headMotionToParams,
  matrixToParams,
  paramsToHeadMotion,
  paramsToMatrix,
  eulerToRotation,
  ZERO_PARAMS,
  type RigidParams,
  type Vec3,
} from './rigid.js';
