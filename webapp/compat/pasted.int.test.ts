import { piston } from 'piston-client';
import type { PistonClient } from 'piston-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../test/browser/service.js';
import type { Service } from '../../test/browser/service.js';

/**
 * Programs as people paste them from an IDE or a judge's page, sent unchanged through each dialect to a
 * running RemCode: the file name the language's users expect is chosen for them.
 */

interface Stage {
  stdout: string;
  stderr: string;
  code: number | null;
}

let service: Service;
let client: PistonClient;

beforeAll(async () => {
  // A cold Go build compiles its standard library; give the answer room on a slow machine.
  service = await startService({ env: { REMCODE_WAIT_TIMEOUT: '120s' } });
  client = piston({ server: service.url });
}, 120_000);

afterAll(async () => {
  await service?.close();
});

async function viaPiston(
  language: string,
  code: string,
  extra: Record<string, unknown> = {},
): Promise<{ run?: Stage; compile?: Stage }> {
  return (await client.execute(language, code, { args: [], ...extra })) as { run?: Stage; compile?: Stage };
}

const JAVA_SOLUTION = `import java.util.Scanner;

/** A public class that is not Main, as every online judge and IDE template writes it. */
public class Solution {
    static int twice(int n) { return 2 * n; }

    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        System.out.println(twice(in.nextInt()));
    }
}
`;

describe('programs as people paste them', () => {
  it('runs a Java file whose public class is not Main, through all three dialects', async () => {
    const piston = await viaPiston('java', JAVA_SOLUTION, { stdin: '21' });
    expect(piston.compile?.code).toBe(0);
    expect(piston.run?.stdout).toBe('42\n');

    const judge0 = await fetch(`${service.url}/judge0/submissions?base64_encoded=false&wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language_id: 62, source_code: JAVA_SOLUTION, stdin: '5' }),
    });
    expect(await judge0.json()).toMatchObject({ stdout: '10\n', status: { id: 3 } });

    const v1 = await fetch(`${service.url}/api/v1/submissions?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'java', source: JAVA_SOLUTION, stdin: '1' }),
    });
    expect(await v1.json()).toMatchObject({ verdict: 'accepted', stdout: '2\n' });
  });

  it('runs a Java file whose main class is not public and not Main', async () => {
    const result = await viaPiston(
      'java',
      'class Helper { static String hi() { return "hi"; } }\nclass Program {\n  public static void main(String[] a) { System.out.println(Helper.hi()); }\n}\n',
    );
    expect(result.run?.stdout).toBe('hi\n');
  });

  it('runs a C# file with a namespace and a Program class', async () => {
    const result = await viaPiston(
      'csharp',
      'using System;\nusing System.Linq;\n\nnamespace Demo.App\n{\n    internal class Program\n    {\n        static void Main(string[] args)\n        {\n            var n = int.Parse(Console.ReadLine());\n            Console.WriteLine(Enumerable.Range(1, n).Sum());\n        }\n    }\n}\n',
      { stdin: '10\n' },
    );
    expect(result.compile?.code).toBe(0);
    expect(result.run?.stdout).toBe('55\n');
  });

  it('runs Go pasted with its go.mod beside it, in two files of one package', async () => {
    const result = await viaPiston('go', '', {
      files: [
        {
          name: 'main.go',
          content:
            'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n\tline, _ := bufio.NewReader(os.Stdin).ReadString(\'\\n\')\n\tfmt.Println(greet(line))\n}\n',
        },
        {
          name: 'greet.go',
          content:
            'package main\n\nimport "strings"\n\nfunc greet(s string) string { return "hello, " + strings.TrimSpace(s) }\n',
        },
        { name: 'go.mod', content: 'module example.com/hello\n\ngo 1.19\n' },
      ],
      stdin: 'gopher\n',
    });
    expect(result.compile?.code).toBe(0);
    expect(result.run?.stdout).toBe('hello, gopher\n');
  }, 180_000);

  it('runs Rust that reads all of stdin through std::io', async () => {
    const result = await viaPiston(
      'rust',
      'use std::io::{self, Read, Write};\n\nfn main() -> io::Result<()> {\n    let mut input = String::new();\n    io::stdin().read_to_string(&mut input)?;\n    let sum: i64 = input.split_whitespace().map(|w| w.parse::<i64>().unwrap()).sum();\n    writeln!(io::stdout(), "{}", sum)?;\n    Ok(())\n}\n',
      { stdin: '1 2 3\n4\n' },
    );
    expect(result.compile?.code).toBe(0);
    expect(result.run?.stdout).toBe('10\n');
  }, 120_000);

  it("runs TypeScript that imports Node's standard modules", async () => {
    const result = await viaPiston(
      'typescript',
      "import { readFileSync } from 'fs';\nimport * as os from 'os';\n\nconst words: string[] = readFileSync(0, 'utf8').trim().split(/\\s+/);\nconsole.log(words.reverse().join(' ') + (os.EOL === '\\n' ? '' : '?'));\n",
      { stdin: 'one two three' },
    );
    expect(result.compile?.code).toBe(0);
    expect(result.run?.stdout).toBe('three two one\n');
  }, 120_000);

  /**
   * Piston clients that send several files rely on their names: the first file runs, and it imports,
   * requires or includes the others by name from beside it. One program per language, each printing 42.
   */
  it.each([
    [
      'python',
      [
        { name: 'main.py', content: 'from helper import twice\nprint(twice(int(input())))\n' },
        { name: 'helper.py', content: 'def twice(n):\n    return 2 * n\n' },
      ],
    ],
    [
      'javascript',
      [
        {
          name: 'index.js',
          content:
            "const { twice } = require('./lib/math');\nconsole.log(twice(Number(require('fs').readFileSync(0, 'utf8'))));\n",
        },
        { name: 'lib/math.js', content: 'exports.twice = (n) => 2 * n;\n' },
      ],
    ],
    [
      'typescript',
      [
        {
          name: 'main.ts',
          content:
            "import { readFileSync } from 'fs';\nimport { twice } from './twice';\nconsole.log(twice(Number(readFileSync(0, 'utf8'))));\n",
        },
        { name: 'twice.ts', content: 'export function twice(n: number): number {\n  return 2 * n;\n}\n' },
      ],
    ],
    [
      'ruby',
      [
        { name: 'main.rb', content: "require_relative 'helper'\nputs twice(gets.to_i)\n" },
        { name: 'helper.rb', content: 'def twice(n) = 2 * n\n' },
      ],
    ],
    [
      'php',
      [
        {
          name: 'main.php',
          content:
            '<?php\nrequire __DIR__ . \'/helper.php\';\necho twice((int) trim(fgets(STDIN))), "\\n";\n',
        },
        { name: 'helper.php', content: '<?php\nfunction twice(int $n): int { return 2 * $n; }\n' },
      ],
    ],
    [
      'lua',
      [
        {
          name: 'main.lua',
          content: 'local helper = require("helper")\nprint(helper.twice(io.read("n")))\n',
        },
        { name: 'helper.lua', content: 'return { twice = function(n) return math.floor(2 * n) end }\n' },
      ],
    ],
    [
      'perl',
      [
        {
          name: 'main.pl',
          content: 'use lib ".";\nuse Helper;\nmy $n = <STDIN>;\nprint Helper::twice($n), "\\n";\n',
        },
        { name: 'Helper.pm', content: 'package Helper;\nsub twice { return 2 * $_[0]; }\n1;\n' },
      ],
    ],
    [
      'bash',
      [
        { name: 'main.sh', content: 'source ./helper.sh\nread n\ntwice "$n"\n' },
        { name: 'helper.sh', content: 'twice() { echo $((2 * $1)); }\n' },
      ],
    ],
    [
      'c',
      [
        {
          name: 'main.c',
          content:
            '#include <stdio.h>\n#include "twice.h"\nint main(void) { int n; scanf("%d", &n); printf("%d\\n", twice(n)); return 0; }\n',
        },
        { name: 'twice.h', content: 'int twice(int n);\n' },
        { name: 'twice.c', content: '#include "twice.h"\nint twice(int n) { return 2 * n; }\n' },
      ],
    ],
    [
      'c++',
      [
        {
          name: 'main.cpp',
          content:
            '#include <iostream>\n#include "twice.hpp"\nint main() { int n; std::cin >> n; std::cout << twice(n) << "\\n"; }\n',
        },
        { name: 'twice.hpp', content: 'inline int twice(int n) { return 2 * n; }\n' },
      ],
    ],
    [
      'csharp',
      [
        {
          name: 'Program.cs',
          content:
            'using System;\nclass Program { static void Main() { Console.WriteLine(Demo.Helper.Twice(int.Parse(Console.ReadLine()))); } }\n',
        },
        {
          name: 'Helper.cs',
          content:
            'namespace Demo { public static class Helper { public static int Twice(int n) => 2 * n; } }\n',
        },
      ],
    ],
    [
      'rust',
      [
        {
          name: 'main.rs',
          content:
            'mod helper;\nuse std::io::Read;\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    println!("{}", helper::twice(s.trim().parse().unwrap()));\n}\n',
        },
        { name: 'helper.rs', content: 'pub fn twice(n: i64) -> i64 {\n    2 * n\n}\n' },
      ],
    ],
  ])(
    'runs %s split into files that find each other by name',
    async (language, files) => {
      const result = await viaPiston(language, '', { files, stdin: '21\n' });
      expect(result.compile?.code ?? 0).toBe(0);
      expect(result.run).toMatchObject({ stdout: '42\n', stderr: '' });
    },
    120_000,
  );
});
