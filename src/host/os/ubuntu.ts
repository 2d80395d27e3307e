import { Debian } from './debian.ts';

/** Ubuntu behaves as Debian does for everything kubesmith touches; differences go here. */
export class Ubuntu extends Debian {}
