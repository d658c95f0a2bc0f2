// @nn/backend-tfjs public API.
export { tfjs, type TfjsBackend, type TfjsOptions } from './tfjs-backend';
export {
  ENGINES,
  installedEngines,
  type EngineName,
  type EngineChoice,
  type EngineInfo,
  type EngineCandidate,
  type EngineSpec,
} from './engines';
export { TfjsEngineError } from './errors';
