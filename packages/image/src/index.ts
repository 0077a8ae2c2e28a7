// The dapp container image as a tested artefact: a stand-in Node base built locally (no registry), the
// image built with buildah, containers run with podman and runc the way a pod spec describes them.
export {
  type BuildOptions,
  type BuiltImage,
  buildImage,
  type CleanCheckout,
  cleanCheckout,
  removeImage,
} from './build.ts';
export {
  type Container,
  type ContainerExit,
  type Mount,
  type RunOptions,
  runContainer,
  startContainer,
  ulimitArgs,
} from './container.ts';
export { type ExecResult, exec, execOrThrow } from './exec.ts';
export {
  type ContainerSpec,
  type EnvVar,
  type PodInputs,
  type PodSpec,
  type Probe,
  podContainerRunOptions,
  probeOnce,
  resolveEnv,
  type SecurityContext,
} from './kubernetes.ts';
export { imageLayers, type Layer, layersAbove } from './layers.ts';
export {
  type BaseImageRef,
  bundledNpmVersion,
  dockerfileNodeImage,
  fetchNode,
  fetchPackage,
  type UnpackedPackage,
} from './node-dist.ts';
export { ensureStandInBase, STAND_IN_REPOSITORY, type StandInBase } from './stand-in-base.ts';
export { containerToolsUnavailable } from './tools.ts';
