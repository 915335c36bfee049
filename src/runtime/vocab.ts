/**
 * Vocabularies: the tokens of a `vocab` declaration and their integer ids.
 *
 * A vocabulary is either fixed (the spec lists its tokens: exactly those, in
 * order, ids 0..n-1; a listed `<unk>` is the unknown token and a listed
 * `<eos>` the end token) or built from the data (the sorted set of tokens,
 * then `<unk>` and `<eos>`). Built vocabularies are saved with the model, as
 * `toJSON()`, so that later runs map tokens to the same ids.
 *
 * The one tokeniser of seqc and of emitted trainers: data files, saved
 * vocabularies and text given on a command line are all cut here.
 * Runtime file: imports nothing.
 */

export const UNK = "<unk>";
export const EOS = "<eos>";

/** How text is cut into tokens: one token per character (code point) or per whitespace-separated word. */
export type TokenMode = "char" | "word";

/** The saved form of a vocabulary. */
export interface VocabularyJSON {
  tokens: string[];
  unk?: string;
  eos?: string;
}

export interface BuildOptions {
  /** Name used in error messages (the spec's vocab name). */
  name?: string;
  /** Tokens seen fewer times than this are left out (they map to `<unk>`). Default 1. */
  minCount?: number;
}

export class Vocabulary {
  readonly tokens: readonly string[];
  /** The unknown token, when the vocabulary has one: tokens not in the vocabulary map to it. */
  readonly unk?: string;
  /** The end token, when the vocabulary has one. */
  readonly eos?: string;
  /** Name used in error messages. */
  readonly name?: string;
  private readonly index = new Map<string, number>();

  constructor(tokens: readonly string[], opts: { unk?: string; eos?: string; name?: string } = {}) {
    const label = opts.name !== undefined ? `vocabulary ${opts.name}` : "vocabulary";
    if (tokens.length === 0) throw new Error(`${label} has no tokens`);
    tokens.forEach((t, i) => {
      if (typeof t !== "string") throw new Error(`${label}: token ${i} is not a string`);
      if (this.index.has(t)) throw new Error(`${label} lists the token ${JSON.stringify(t)} more than once`);
      this.index.set(t, i);
    });
    for (const [role, t] of [["unknown", opts.unk], ["end", opts.eos]] as const) {
      if (t !== undefined && !this.index.has(t)) throw new Error(`${label}: the ${role} token ${JSON.stringify(t)} is not one of its tokens`);
    }
    this.tokens = Object.freeze([...tokens]);
    if (opts.unk !== undefined) this.unk = opts.unk;
    if (opts.eos !== undefined) this.eos = opts.eos;
    if (opts.name !== undefined) this.name = opts.name;
  }

  /** The tokens listed in a spec, in order; `<unk>` and `<eos>` keep their meaning when listed. */
  static fixed(tokens: readonly string[], name?: string): Vocabulary {
    return new Vocabulary(tokens, {
      ...(tokens.includes(UNK) ? { unk: UNK } : {}),
      ...(tokens.includes(EOS) ? { eos: EOS } : {}),
      ...(name !== undefined ? { name } : {}),
    });
  }

  /**
   * A vocabulary built from data: the sorted set of the tokens seen (at least
   * `minCount` times), then `<unk>` and `<eos>`. Occurrences of `<unk>` and
   * `<eos>` in the data are not counted as ordinary tokens.
   */
  static build(tokens: Iterable<string>, opts: BuildOptions = {}): Vocabulary {
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    return Vocabulary.fromCounts(counts, opts);
  }

  /** A vocabulary built from data, from each token's count (see `build`). */
  static fromCounts(counts: ReadonlyMap<string, number>, opts: BuildOptions = {}): Vocabulary {
    const minCount = opts.minCount ?? 1;
    const kept = [...counts].filter(([t, c]) => c >= minCount && t !== UNK && t !== EOS).map(([t]) => t);
    kept.sort(compareTokens);
    return new Vocabulary([...kept, UNK, EOS], { unk: UNK, eos: EOS, ...(opts.name !== undefined ? { name: opts.name } : {}) });
  }

  /** A vocabulary built from text: its characters or its words (see `tokenize`). */
  static fromText(text: string, mode: TokenMode, opts: BuildOptions = {}): Vocabulary {
    return Vocabulary.build(tokenize(text, mode), opts);
  }

  /** Reads a saved vocabulary (`toJSON`), checking its form. */
  static fromJSON(json: unknown, name?: string): Vocabulary {
    const label = name !== undefined ? `vocabulary ${name}` : "vocabulary";
    if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error(`${label}: expected an object { tokens, unk?, eos? }`);
    const { tokens, unk, eos } = json as Record<string, unknown>;
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "string")) throw new Error(`${label}: tokens must be an array of strings`);
    if (unk !== undefined && typeof unk !== "string") throw new Error(`${label}: unk must be a string`);
    if (eos !== undefined && typeof eos !== "string") throw new Error(`${label}: eos must be a string`);
    return new Vocabulary(tokens as string[], { ...(unk !== undefined ? { unk } : {}), ...(eos !== undefined ? { eos } : {}), ...(name !== undefined ? { name } : {}) });
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

  /** True when every ordinary token (not `<unk>` / `<eos>`) is one character: strings are then read one token per character. */
  get isChars(): boolean {
    return this.tokens.every((t) => t === this.unk || t === this.eos || [...t].length === 1);
  }

  /** The id of a token; an unknown token gives the `<unk>` id, or throws when there is no `<unk>`. */
  id(token: string): number {
    const i = this.index.get(token);
    if (i !== undefined) return i;
    const u = this.unkId;
    if (u !== undefined) return u;
    throw new Error(`unknown token ${JSON.stringify(token)}: ${this.describe()} and no ${UNK}`);
  }

  /** The ids of a sequence of tokens (see `id`). */
  ids(tokens: Iterable<string>): Int32Array {
    return Int32Array.from(tokens, (t) => this.id(t));
  }

  /** The token of an id; throws when the id is out of range. */
  token(id: number): string {
    const t = Number.isInteger(id) ? this.tokens[id] : undefined;
    if (t === undefined) throw new Error(`token id ${id} is out of range: ${this.label()} has ids 0..${this.size - 1}`);
    return t;
  }

  /** `vocabulary abc has A, B, C` (shortened for large vocabularies), for error messages. */
  describe(max = 12): string {
    const shown = this.tokens.slice(0, max).map(showToken).join(", ");
    const rest = this.size > max ? `, ... (${this.size} tokens)` : "";
    return `${this.label()} has ${shown}${rest}`;
  }

  toJSON(): VocabularyJSON {
    return { tokens: [...this.tokens], ...(this.unk !== undefined ? { unk: this.unk } : {}), ...(this.eos !== undefined ? { eos: this.eos } : {}) };
  }

  private label(): string {
    return this.name !== undefined ? `vocabulary ${this.name}` : "the vocabulary";
  }
}

/** Saved form of several vocabularies, by vocab name. */
export function vocabulariesToJSON(vocabs: Record<string, Vocabulary>): Record<string, VocabularyJSON> {
  return Object.fromEntries(Object.entries(vocabs).map(([k, v]) => [k, v.toJSON()]));
}

/** Reads the saved form of several vocabularies. */
export function vocabulariesFromJSON(json: unknown): Record<string, Vocabulary> {
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error("vocabularies: expected an object of { tokens, unk?, eos? } by vocab name");
  return Object.fromEntries(Object.entries(json as Record<string, unknown>).map(([k, v]) => [k, Vocabulary.fromJSON(v, k)]));
}

/**
 * Cuts text into tokens: `char` gives every character (code point, newlines
 * included); `word` gives the whitespace-separated words of each non-empty
 * line followed by `<eos>`.
 */
export function tokenize(text: string, mode: TokenMode): string[] {
  if (mode === "char") return Array.from(text);
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) if (eachWord(line, (w) => out.push(w)) > 0) out.push(EOS);
  return out;
}

/** Calls `f` with each whitespace-separated word of a text and its column (from 1, in UTF-16 units); returns their number. */
export function eachWord(text: string, f: (word: string, col: number) => void): number {
  const re = /\S+/g;
  let n = 0;
  for (let m = re.exec(text); m; m = re.exec(text), n++) f(m[0], m.index + 1);
  return n;
}

/** Token ids in the smallest typed array that holds the vocabulary's ids: a corpus of 500 M characters is 500 MB, not 2 GB. */
export type TokenIds = Uint8Array | Uint16Array | Int32Array;

/** An array of n token ids for a vocabulary of `size` tokens. */
export function tokenIdArray(size: number, n: number): TokenIds {
  return size <= 0x100 ? new Uint8Array(n) : size <= 0x10000 ? new Uint16Array(n) : new Int32Array(n);
}

/**
 * The code points of UTF-8 bytes, one at a time (an invalid byte is U+FFFD):
 * a corpus is read as its bytes and never becomes one huge string.
 */
function eachCodePoint(bytes: Uint8Array, f: (cp: number) => void): void {
  const n = bytes.length;
  for (let i = 0; i < n; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      f(b);
      i++;
      continue;
    }
    const len = b >= 0xf0 && b < 0xf5 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
    let cp = len === 4 ? b & 0x07 : len === 3 ? b & 0x0f : b & 0x1f;
    let ok = len > 0 && i + len <= n;
    for (let k = 1; ok && k < len; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (ok && ((len === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (ok) {
      f(cp);
      i += len;
    } else {
      f(0xfffd);
      i++;
    }
  }
}

/** Each character (code point) of a text, given as its UTF-8 bytes, and how often it occurs: read without a list of the characters or one string of the text (a corpus may be hundreds of MB). */
export function charCountsOfBytes(bytes: Uint8Array): { counts: Map<string, number>; length: number } {
  const counts = new Float64Array(0x110000);
  let length = 0;
  eachCodePoint(bytes, (cp) => {
    counts[cp]!++;
    length++;
  });
  const out = new Map<string, number>();
  for (let cp = 0; cp < counts.length; cp++) if (counts[cp]! > 0) out.set(String.fromCodePoint(cp), counts[cp]!);
  return { counts: out, length };
}

/**
 * A text's characters (its UTF-8 bytes) as ids of a character vocabulary, in a
 * compact array (`length`: its number of code points, from
 * charCountsOfBytes). A character not in the vocabulary is `<unk>`; without
 * one it is counted in `unknown` (the caller reports it) and the id written is 0.
 */
export function charIdsOfBytes(bytes: Uint8Array, length: number, vocab: Vocabulary): { ids: TokenIds; unknown: number } {
  const ids = tokenIdArray(vocab.size, length);
  const unk = vocab.unkId;
  const table = new Map<number, number>();
  let unknown = 0;
  let k = 0;
  eachCodePoint(bytes, (cp) => {
    let id = table.get(cp);
    if (id === undefined) {
      const ch = String.fromCodePoint(cp);
      id = vocab.has(ch) ? vocab.id(ch) : unk ?? -1;
      table.set(cp, id);
    }
    if (id < 0) {
      unknown++;
      id = 0;
    }
    ids[k++] = id;
  });
  return { ids, unknown };
}

/** Splits a string written for a token field: per character, or per whitespace-separated word. */
export function splitTokens(text: string, mode: TokenMode): string[] {
  if (mode === "char") return Array.from(text);
  const out: string[] = [];
  eachWord(text, (w) => out.push(w));
  return out;
}

/** Code-point order, so that a vocabulary's order does not depend on the locale. */
function compareTokens(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** A token as shown in messages: plain when it is a simple word, quoted otherwise. */
export function showToken(t: string): string {
  return /^[\p{L}\p{N}_<>.-]+$/u.test(t) ? t : JSON.stringify(t);
}

/**
 * The ids of text given on a command line (a prime, a start): characters for
 * a character vocabulary, else whitespace-separated words, as data strings
 * are cut; an unknown token is <unk>, or an error naming `what` when the
 * vocabulary has no <unk>.
 */
export function textIds(vocab: Vocabulary, text: string, what: string): number[] {
  return splitTokens(text, vocab.isChars ? "char" : "word").map((t) => {
    if (!vocab.has(t) && vocab.unk === undefined) throw new Error(`${what}: the token ${JSON.stringify(t)} is not in the vocabulary (${vocab.describe()}) and there is no ${UNK}`);
    return vocab.id(t);
  });
}
