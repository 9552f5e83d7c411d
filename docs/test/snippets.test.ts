// Every ```ts block in the README files and the guides is type-checked against
// the packages' sources, so the docs cannot drift from the API. A block may use
// a few well-known names it does not define (`regions`, `provider`, `monitor`
// ...): they are declared for it, typed as the real classes. A block that opens
// with `// (continued)` is checked together with the one before it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

const AMBIENT: Record<string, string> = {
  regions: '__core.Region[]',
  provider: '__local.LocalProvider',
  monitor: '__core.HealthMonitor',
  failover: '__core.FailoverManager',
  router: '__geo.GeoRouter',
  response: '{ statusCode: number }',
  elapsed: 'number',
  alert: '(message: string) => void',
};

function markdownFiles(): string[] {
  const files = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'api' && entry.name !== 'node_modules') walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  for (const group of ['packages', 'examples']) {
    for (const entry of readdirSync(join(root, group), { withFileTypes: true })) {
      if (entry.isDirectory()) files.push(join(group, entry.name, 'README.md'));
    }
  }
  return files.filter((f) => {
    try {
      readFileSync(join(root, f));
      return true;
    } catch {
      return false;
    }
  });
}

interface Snippet {
  file: string;
  line: number;
  code: string;
}

function snippets(): Snippet[] {
  const out: Snippet[] = [];
  for (const file of markdownFiles()) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() !== '```ts') continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end]!.trim() !== '```') end++;
      const code = lines.slice(start, end).join('\n');
      const previous = out.at(-1);
      // A block opening with "// (continued)" is checked together with the block before it in the same file.
      if (code.startsWith('// (continued)') && previous?.file === file) previous.code += `\n${code}`;
      else out.push({ file, line: start + 1, code });
      i = end;
    }
  }
  return out;
}

function declared(code: string, name: string): boolean {
  return new RegExp(`(const|let|var|function|class|interface|type)\\s+${name}\\b|import[^;]*\\b${name}\\b[^;]*from`).test(code);
}

describe('code blocks in the docs', () => {
  const all = snippets();

  it('finds the blocks', () => {
    expect(all.length).toBeGreaterThan(10);
  });

  it('every ```ts block type-checks against the current API', () => {
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
    const files = new Map<string, string>();
    for (const [index, s] of all.entries()) {
      const ambient = Object.entries(AMBIENT)
        .filter(([name]) => !declared(s.code, name) && new RegExp(`\\b${name}\\b`).test(s.code))
        .map(([name, type]) => `declare const ${name}: ${type};`);
      const header = [
        "import type * as __core from '@meridian/core';",
        "import type * as __local from '@meridian/providers-local';",
        "import type * as __geo from '@meridian/georouter';",
        ...ambient,
      ];
      const text = `${header.join('\n')}\n${s.code}\nexport {};\n`;
      files.set(join(root, 'docs', 'test', `__snippet_${index}.ts`), text);
    }
    const host = ts.createCompilerHost(config.options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.readFile = (name) => files.get(name) ?? readFile(name);
    host.fileExists = (name) => files.has(name) || fileExists(name);
    const program = ts.createProgram([...files.keys()], { ...config.options, noEmit: true, noUnusedLocals: false }, host);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.has(d.file.fileName))
      .map((d) => {
        const index = Number(/__snippet_(\d+)/.exec(d.file!.fileName)![1]);
        const snippet = all[index]!;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        const headerLines = files.get(d.file!.fileName)!.split('\n').length - snippet.code.split('\n').length - 2;
        return `${relative(root, join(root, snippet.file))}:${snippet.line + line - headerLines}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  });
});
