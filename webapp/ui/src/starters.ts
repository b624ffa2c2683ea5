/**
 * Starter programs used when the server's language list carries none: each reads a line from stdin and
 * greets it, so pressing Run on a fresh page shows input and output working together.
 */
const STARTERS: Record<string, string> = {
  python: 'name = input() or "world"\nprint(f"Hello, {name}!")\n',
  c: '#include <stdio.h>\n#include <string.h>\n\nint main(void) {\n    char name[256] = "world";\n    if (fgets(name, sizeof name, stdin)) name[strcspn(name, "\\n")] = 0;\n    printf("Hello, %s!\\n", name);\n    return 0;\n}\n',
  cpp: '#include <iostream>\n#include <string>\n\nint main() {\n    std::string name;\n    if (!std::getline(std::cin, name)) name = "world";\n    std::cout << "Hello, " << name << "!\\n";\n}\n',
  go: 'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n\tin := bufio.NewScanner(os.Stdin)\n\tname := "world"\n\tif in.Scan() {\n\t\tname = in.Text()\n\t}\n\tfmt.Printf("Hello, %s!\\n", name)\n}\n',
  rust: 'use std::io::stdin;\n\nfn main() {\n    let mut name = String::new();\n    stdin().read_line(&mut name).unwrap();\n    let name = name.trim();\n    println!("Hello, {}!", if name.is_empty() { "world" } else { name });\n}\n',
  javascript:
    "const name = require('fs').readFileSync(0, 'utf8').split('\\n')[0] || 'world';\nconsole.log(`Hello, ${name}!`);\n",
  typescript:
    "import { readFileSync } from 'fs';\n\nconst name: string = readFileSync(0, 'utf8').split('\\n')[0] || 'world';\nconsole.log(`Hello, ${name}!`);\n",
  java: 'import java.util.Scanner;\n\npublic class Main {\n    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n        String name = in.hasNextLine() ? in.nextLine() : "world";\n        System.out.println("Hello, " + name + "!");\n    }\n}\n',
  ruby: 'name = gets&.chomp || "world"\nputs "Hello, #{name}!"\n',
  php: '<?php\n$name = trim(fgets(STDIN) ?: "world");\necho "Hello, $name!\\n";\n',
  perl: 'my $name = <STDIN> // "world";\nchomp $name;\nprint "Hello, $name!\\n";\n',
  lua: 'local name = io.read("l") or "world"\nprint("Hello, " .. name .. "!")\n',
  shell: 'read -r name || name=world\necho "Hello, $name!"\n',
  csharp:
    'using System;\n\nclass Program {\n    static void Main() {\n        string name = Console.ReadLine() ?? "world";\n        Console.WriteLine($"Hello, {name}!");\n    }\n}\n',
};

export function fallbackStarter(mode: string | null): string {
  return (mode && STARTERS[mode]) ?? '';
}
