// Global setup for tests on test hosts: a Docker daemon that answers (started when none runs) and
// the host image, built locally when its inputs changed. Provides the image name as `hostImage`.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    hostImage: string;
  }
}

const hack = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'hack');

export default function setup(project: TestProject): void {
  const started = Date.now();
  execFileSync('bash', [join(hack, 'ensure-docker.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const image = execFileSync('bash', [join(hack, 'build-host-image.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  }).trim();
  console.log(`docker and host image ${image} ready in ${Date.now() - started} ms`);
  // Test workers inherit the environment; the project API reaches tests that use inject().
  process.env.KUBESMITH_HOST_IMAGE = image;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  project.provide('hostImage', image);
}
