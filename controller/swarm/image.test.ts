import { describe, expect, it } from 'vitest';
import { imageMatches } from './image.js';

const digest = `sha256:${'a'.repeat(64)}`;
const other = `sha256:${'b'.repeat(64)}`;

describe('imageMatches', () => {
  it.each([
    ['the same tag', 'redis:7', 'redis:7', true],
    ['a tag that Swarm pinned to a digest', 'redis:7', `redis:7@${digest}`, true],
    ['an implicit latest tag', 'redis', 'redis:latest', true],
    ['the Docker Hub long form', 'redis:7', 'docker.io/library/redis:7', true],
    ['a pinned digest, whatever the tag', `redis:7@${digest}`, `redis@${digest}`, true],
    ['a pinned digest against the same digest with a tag', `redis@${digest}`, `redis:7@${digest}`, true],
    ['a different tag', 'redis:7', 'redis:8', false],
    ['a different digest', `redis@${digest}`, `redis@${other}`, false],
    ['a different repository', 'redis:7', 'valkey:7', false],
    ['a tag against an untagged digest', 'redis:7', `redis@${digest}`, false],
    ['a registry with a port', 'registry.local:5000/app:1', 'registry.local:5000/app:1', true],
  ])('%s', (_name, desired, actual, expected) => {
    expect(imageMatches(desired, actual)).toBe(expected);
  });
});
