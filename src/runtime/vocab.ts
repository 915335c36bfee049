/**
 * Vocabularies and the one tokeniser: the spec's tokens, a saved model's, or
 * built from data (sorted tokens, then <unk> and <eos>). seqc and emitted
 * trainers alike cut text into tokens here. Runtime file: imports nothing.
 */

export const UNK = "<unk>";
export const EOS = "<eos>";

export type TokenMode = "char" | "word";

/** The saved form of a vocabulary (model.json's `vocabularies`). */
export interface VocabJSON {
  tokens: string[];
  unk?: string;
  eos?: string;
}

/** A vocabulary: tokens and their ids, as src/backends/data/vocab.ts. */
export class Vocab {
  readonly tokens: readonly string[];
  readonly unk: string | undefined;
  readonly eos: string | undefined;
  private readonly index = new Map<string, number>();

  constructor(
    readonly name: string,
    tokens: readonly string[],
    unk?: string,
    eos?: string,
  ) {
    if (tokens.length === 0) throw new Error(`vocabulary ${name} has no tokens`);
    tokens.forEach((t, i) => {
      if (typeof t !== "string") throw new Error(`vocabulary ${name}: token ${i} is not a string`);
      if (this.index.has(t)) throw new Error(`vocabulary ${name} lists the token ${JSON.stringify(t)} more than once`);
      this.index.set(t, i);
    });
    for (const [role, t] of [["unknown", unk], ["end", eos]] as const) {
      if (t !== undefined && !this.index.has(t)) throw new Error(`vocabulary ${name}: the ${role} token ${JSON.stringify(t)} is not one of its tokens`);
    }
    this.tokens = [...tokens];
    this.unk = unk;
    this.eos = eos;
  }

  /** The spec's tokens in order; a listed <unk> / <eos> keeps its meaning. */
  static fixed(name: string, tokens: readonly string[]): Vocab {
    return new Vocab(name, tokens, tokens.includes(UNK) ? UNK : undefined, tokens.includes(EOS) ? EOS : undefined);
  }

  /** Built from data: the sorted set of tokens (code-point order; <unk> and <eos> not counted), then <unk> and <eos>. */
  static build(name: string, tokens: Iterable<string>): Vocab {
    const seen = new Set<string>();
    for (const t of tokens) if (t !== UNK && t !== EOS) seen.add(t);
    const kept = [...seen].sort(compareTokens);
    return new Vocab(name, [...kept, UNK, EOS], UNK, EOS);
  }

  static fromJSON(name: string, json: unknown): Vocab {
    if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error(`vocabulary ${name}: expected an object { tokens, unk?, eos? }`);
    const { tokens, unk, eos } = json as Record<string, unknown>;
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "string")) throw new Error(`vocabulary ${name}: tokens must be an array of strings`);
    if (unk !== undefined && typeof unk !== "string") throw new Error(`vocabulary ${name}: unk must be a string`);
    if (eos !== undefined && typeof eos !== "string") throw new Error(`vocabulary ${name}: eos must be a string`);
    return new Vocab(name, tokens as string[], unk, eos);
  }

  get size(): number {
    return this.tokens.length;
  }

  get unkId(): number | undefined {
    return this.unk === undefined ? undefined : this.index.get(this.unk);
  }

  get eosId(): number | undefined {
    return this.eos === undefined ? undefined : this.index.get(this.eos);
  }

  has(token: string): boolean {
    return this.index.has(token);
  }

  /** Every ordinary token is one character: strings are read one token per character. */
  get isChars(): boolean {
    return this.tokens.every((t) => t === this.unk || t === this.eos || Array.from(t).length === 1);
  }

  /** The id of a token, <unk>'s for an unknown one, or undefined when there is no <unk>. */
  id(token: string): number | undefined {
    return this.index.get(token) ?? this.unkId;
  }

  describe(max = 12): string {
    const shown = this.tokens.slice(0, max).map(showToken).join(", ");
    return `vocabulary ${this.name} has ${shown}${this.size > max ? `, ... (${this.size} tokens)` : ""}`;
  }

  toJSON(): VocabJSON {
    return { tokens: [...this.tokens], ...(this.unk !== undefined ? { unk: this.unk } : {}), ...(this.eos !== undefined ? { eos: this.eos } : {}) };
  }
}

export function compareTokens(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

export function showToken(t: string): string {
  return /^[\p{L}\p{N}_<>.-]+$/u.test(t) ? t : JSON.stringify(t);
}

/** Text cut into tokens: every character, or the words of each non-empty line followed by <eos>. */
export function tokenize(text: string, mode: TokenMode): string[] {
  if (mode === "char") return Array.from(text);
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const words = line.split(/\s+/).filter((w) => w !== "");
    if (words.length === 0) continue;
    out.push(...words, EOS);
  }
  return out;
}

export function splitTokens(text: string, mode: TokenMode): string[] {
  return mode === "char" ? Array.from(text) : text.split(/\s+/).filter((w) => w !== "");
}
