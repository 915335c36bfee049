import { describe, expect, it } from "vitest";
import { charCountsOfBytes, charIdsOfBytes, EOS, textIds, tokenIdArray, tokenize, UNK, Vocabulary, vocabulariesFromJSON, vocabulariesToJSON } from "../../src/runtime/vocab.js";

describe("fixed vocabularies", () => {
  it("uses exactly the listed tokens, in order", () => {
    const v = Vocabulary.fixed(["A", "B", "C"], "abc");
    expect(v.size).toBe(3);
    expect(["A", "B", "C"].map((t) => v.id(t))).toEqual([0, 1, 2]);
    expect(v.token(2)).toBe("C");
    expect(v.unk).toBeUndefined();
    expect(v.eos).toBeUndefined();
    expect(v.isChars).toBe(true);
  });

  it("throws a clear error for an unknown token when there is no <unk>", () => {
    const v = Vocabulary.fixed(["A", "B", "C"], "abc");
    expect(() => v.id("D")).toThrow('unknown token "D": vocabulary abc has A, B, C and no <unk>');
    expect(() => v.token(3)).toThrow("token id 3 is out of range: vocabulary abc has ids 0..2");
    expect(() => v.token(-1)).toThrow("out of range");
  });

  it("recognises listed <unk> and <eos>", () => {
    const v = Vocabulary.fixed(["<unk>", "a", "b", "<eos>"]);
    expect(v.unk).toBe(UNK);
    expect(v.eos).toBe(EOS);
    expect(v.id("zzz")).toBe(0);
    expect(v.eosId).toBe(3);
    expect(v.isChars).toBe(true);
    expect(Vocabulary.fixed(["yes", "no"]).isChars).toBe(false);
  });

  it("rejects duplicates and empty lists", () => {
    expect(() => Vocabulary.fixed(["a", "a"], "v")).toThrow('vocabulary v lists the token "a" more than once');
    expect(() => Vocabulary.fixed([])).toThrow("no tokens");
  });
});

describe("vocabularies built from data", () => {
  it("char mode: the sorted set of characters, then <unk> and <eos>", () => {
    const v = Vocabulary.fromText("hello world\n", "char");
    expect(v.tokens).toEqual(["\n", " ", "d", "e", "h", "l", "o", "r", "w", UNK, EOS]);
    expect(v.unk).toBe(UNK);
    expect(v.eos).toBe(EOS);
    expect(v.id("z")).toBe(v.unkId);
    expect(v.isChars).toBe(true);
  });

  it("word mode: sorted words, <eos> after each line, min count", () => {
    expect(tokenize("the cat sat\n\n the dog  sat\n", "word")).toEqual(["the", "cat", "sat", EOS, "the", "dog", "sat", EOS]);
    const v = Vocabulary.fromText("the cat sat\nthe dog sat\n", "word");
    expect(v.tokens).toEqual(["cat", "dog", "sat", "the", UNK, EOS]);
    const min2 = Vocabulary.fromText("the cat sat\nthe dog sat\n", "word", { minCount: 2 });
    expect(min2.tokens).toEqual(["sat", "the", UNK, EOS]);
    expect(min2.id("cat")).toBe(min2.unkId);
  });

  it("orders by code point, whatever the locale", () => {
    expect(Vocabulary.build(["b", "B", "a", "é", "A", "<bos>", "9"]).tokens).toEqual(["9", "<bos>", "A", "B", "a", "b", "é", UNK, EOS]);
  });

  it("counts characters outside the BMP as one token", () => {
    expect(Vocabulary.fromText("a😀", "char").tokens).toEqual(["a", "😀", UNK, EOS]);
  });
});

describe("JSON", () => {
  it("round trips", () => {
    const v = Vocabulary.fromText("abcab", "char", { name: "chars" });
    const json = JSON.parse(JSON.stringify(v));
    expect(json).toEqual({ tokens: ["a", "b", "c", UNK, EOS], unk: UNK, eos: EOS });
    const back = Vocabulary.fromJSON(json, "chars");
    expect(back.tokens).toEqual(v.tokens);
    expect(back.id("q")).toBe(3);
    expect(back.eosId).toBe(4);
    const fixed = Vocabulary.fixed(["x", "y"]);
    expect(Vocabulary.fromJSON(fixed.toJSON()).unk).toBeUndefined();
  });

  it("round trips several by name", () => {
    const all = { src: Vocabulary.fixed(["a"]), tgt: Vocabulary.build(["b"]) };
    const back = vocabulariesFromJSON(JSON.parse(JSON.stringify(vocabulariesToJSON(all))));
    expect(back.tgt!.tokens).toEqual(["b", UNK, EOS]);
    expect(back.tgt!.name).toBe("tgt");
    expect(back.src!.tokens).toEqual(["a"]);
  });

  it("checks the saved form", () => {
    expect(() => Vocabulary.fromJSON([], "v")).toThrow("vocabulary v: expected an object");
    expect(() => Vocabulary.fromJSON({ tokens: [1] }, "v")).toThrow("tokens must be an array of strings");
    expect(() => Vocabulary.fromJSON({ tokens: ["a"], unk: "<unk>" }, "v")).toThrow('the unknown token "<unk>" is not one of its tokens');
  });
});

describe("text given on a command line (textIds): the one tokeniser of seqc sample and emitted trainers", () => {
  const chars = Vocabulary.build(tokenize("The cat", "char"), { name: "chars" });
  const words = Vocabulary.fixed(["the", "cat", UNK], "words");
  const strict = Vocabulary.fixed(["the", "cat"], "w");
  it("cuts a character vocabulary's text into characters, spaces included", () => {
    expect(textIds(chars, "The cat", "--prime").map((i) => chars.tokens[i])).toEqual(["T", "h", "e", " ", "c", "a", "t"]);
  });
  it("cuts a word vocabulary's text into words; an unknown word is <unk>", () => {
    expect(textIds(words, " the  dog cat ", "--prime")).toEqual([0, 2, 1]);
  });
  it("names the option and the token when there is no <unk>", () => {
    expect(() => textIds(strict, "the dog", "--prime")).toThrow('--prime: the token "dog" is not in the vocabulary (vocabulary w has the, cat) and there is no <unk>');
  });
});

describe("a corpus read per character, without a list of characters", () => {
  const TEXTS = ["", "abc\nab", "héllo wörld ∑ — 😀 ok 😀\r\n", "\u{10FFFF}x\u0000y", "a".repeat(1000) + "é".repeat(300)];

  it("counts and ids from the UTF-8 bytes equal those of the per-token path (tokenize, build, ids) on the decoded string", () => {
    for (const t of TEXTS) {
      const bytes = new TextEncoder().encode(t);
      const { counts, length } = charCountsOfBytes(bytes);
      expect(length).toBe(Array.from(t).length);
      const v = Vocabulary.fromCounts(counts, { name: "c" });
      expect(v.tokens).toEqual(Vocabulary.build(tokenize(t, "char"), { name: "c" }).tokens);
      const { ids, unknown } = charIdsOfBytes(bytes, length, v);
      expect(unknown).toBe(0);
      expect(Array.from(ids)).toEqual(Array.from(v.ids(tokenize(t, "char"))));
    }
  });

  it("invalid UTF-8 bytes read as U+FFFD, as Node's decoder reads a lone byte", () => {
    const bytes = Uint8Array.of(0x61, 0xff, 0x62, 0xc3, 0x63, 0xed, 0xa0, 0x80);
    const { counts, length } = charCountsOfBytes(bytes);
    expect(length).toBe(Array.from(Buffer.from(bytes).toString("utf8")).length);
    expect(counts.get("\uFFFD")).toBe(5);
  });

  it("a character not in a vocabulary: <unk>, or counted as unknown without one", () => {
    const withUnk = Vocabulary.build(["a", "b"]);
    const enc = (t: string) => new TextEncoder().encode(t);
    expect(Array.from(charIdsOfBytes(enc("abz"), 3, withUnk).ids)).toEqual([0, 1, withUnk.unkId]);
    const fixed = Vocabulary.fixed(["a", "b"]);
    expect(charIdsOfBytes(enc("abzz"), 4, fixed).unknown).toBe(2);
    expect(charIdsOfBytes(new TextEncoder().encode("a😀"), 2, fixed).unknown).toBe(1);
  });

  it("ids take one byte for up to 256 tokens, two up to 65,536, else four", () => {
    expect(tokenIdArray(256, 3)).toBeInstanceOf(Uint8Array);
    expect(tokenIdArray(257, 3)).toBeInstanceOf(Uint16Array);
    expect(tokenIdArray(65536, 3)).toBeInstanceOf(Uint16Array);
    expect(tokenIdArray(65537, 3)).toBeInstanceOf(Int32Array);
  });
});
