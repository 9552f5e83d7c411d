/** One sample line of the Prometheus text format. */
export interface PrometheusSample {
  /** Sample name (for histograms `<family>_bucket`, `_sum`, `_count`). */
  name: string;
  /** Label values, `le` included for buckets. */
  labels: Record<string, string>;
  /** Value (`+Inf`, `-Inf`, `NaN` parsed). */
  value: number;
}

/** A metric family: its HELP, TYPE and samples. */
export interface PrometheusFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: PrometheusSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;

/**
 * Parses the Prometheus text exposition format (0.0.4): `# HELP` and `# TYPE`
 * lines, samples with escaped label values, histogram `_bucket`/`_sum`/`_count`
 * grouped under their family. Throws on any line it cannot read, so a test
 * built on it fails on malformed output instead of passing on a substring.
 */
export function parsePrometheusText(text: string): Map<string, PrometheusFamily> {
  const families = new Map<string, PrometheusFamily>();
  const family = (name: string): PrometheusFamily => {
    let f = families.get(name);
    if (!f) {
      f = { name, help: '', type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    const where = `line ${index + 1}: ${JSON.stringify(raw)}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s(.*))?$/.exec(line);
      if (!m) return; // a comment
      const f = family(m[2]!);
      if (m[1] === 'HELP') f.help = unescape(m[3] ?? '', false);
      else {
        const type = (m[3] ?? '').trim();
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type)) throw new Error(`unknown TYPE at ${where}`);
        f.type = type as PrometheusFamily['type'];
      }
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`unreadable sample at ${where}`);
    const [, name, labelText, valueText] = m;
    const labels: Record<string, string> = {};
    if (labelText) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < labelText.length) {
        const start = LABEL.lastIndex;
        const l = LABEL.exec(labelText);
        if (!l || l.index !== start) throw new Error(`unreadable labels at ${where}`);
        labels[l[1]!] = unescape(l[2]!, true);
        if (l[3] === '') break;
      }
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : valueText === 'NaN' ? NaN : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') throw new Error(`unreadable value at ${where}`);
    const base = /_(bucket|sum|count)$/.exec(name!) && families.get(name!.replace(/_(bucket|sum|count)$/, ''))?.type === 'histogram' ? name!.replace(/_(bucket|sum|count)$/, '') : name!;
    family(base).samples.push({ name: name!, labels, value });
  });
  return families;
}

/** The value of the sample `name` whose labels are exactly `labels`; undefined when absent. */
export function sampleValue(families: Map<string, PrometheusFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const base = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return families.get(base)?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value;
}

function unescape(text: string, quotes: boolean): string {
  return text.replace(/\\(\\|n|")/g, (all, c: string) => (c === 'n' ? '\n' : c === '"' && !quotes ? all : c));
}
