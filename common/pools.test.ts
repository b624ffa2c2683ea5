import { describe, expect, it } from 'vitest';
import type { PublishedLanguage } from './languages.js';
import { choosePool, poolQueueName, type KnownPool, type PoolState } from './pools.js';

function language(id: string, available = true): PublishedLanguage {
  return {
    id,
    name: id,
    aliases: [],
    version: available ? '1' : null,
    available,
    unavailableReason: available ? null : 'not installed',
    sourceFile: `main.${id}`,
    compiled: false,
    editorMode: id,
    starter: '',
  };
}

function pool(name: string, state: PoolState, ...languages: PublishedLanguage[]): KnownPool {
  return { pool: name, queue: poolQueueName(name), languages, at: 0, state };
}

describe('choosePool', () => {
  const cases: [string, KnownPool[], string, string | undefined][] = [
    ['no pool has the language', [pool('small', 'running', language('c'))], 'python', undefined],
    [
      'a parked pool takes the language when it alone has it',
      [pool('small', 'running', language('c')), pool('big', 'parked', language('java'))],
      'java',
      'big',
    ],
    [
      'a running pool wins over a parked one, even with more languages',
      [
        pool('solo', 'parked', language('python')),
        pool('many', 'running', language('python'), language('c'), language('ruby')),
      ],
      'python',
      'many',
    ],
    [
      'among running pools, the one with fewer languages',
      [
        pool('many', 'running', language('python'), language('c')),
        pool('solo', 'running', language('python')),
      ],
      'python',
      'solo',
    ],
    [
      'among parked pools, the one with fewer languages, then by name',
      [
        pool('b', 'parked', language('python')),
        pool('a', 'parked', language('python')),
        pool('many', 'parked', language('python'), language('c')),
      ],
      'python',
      'a',
    ],
    [
      'a running pool whose image lacks the language does not count',
      [pool('broken', 'running', language('go', false)), pool('asleep', 'parked', language('go'))],
      'go',
      'asleep',
    ],
  ];
  it.each(cases)('%s', (_name, pools, languageId, expected) => {
    expect(choosePool(pools, languageId)?.pool).toBe(expected);
  });
});
