"""An independent Python statement of CLIPTokenizer's algorithm as transformers 5 runs it (its tokenizers-backed
CLIPTokenizer: NFC, whitespace runs to one space, lower case, CLIP's word pattern, byte-level BPE with "</w>"), for
machines without transformers: it wrote the CPU test's expected ids
(src/test/resources/dev/diffusion4j/models/text/expected-ids.json). The real CLIPTokenizer is compared on the GPU
machine (bench/clip_parity.py). Needs only the `regex` package.

    python3 bench/clip_tokenizer_reference.py VOCAB_DIR STRINGS.json OUT.json [--max-length 77]

STRINGS.json is a JSON array of strings; OUT.json gets {"max_length": L, "ids": [[...], ...]} (BOS, ids cut to
L-2, EOS, padded with <|endoftext|>). The special tokens count only where the raw text spells them exactly.
"""
import argparse
import json
import unicodedata

import regex


def byte_symbols():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def normalize(text):
    """NFC, every run of Unicode whitespace (the White_Space property) to one space, then each character lower-cased
    on its own (full case mapping, no context: "İ" becomes "i" + U+0307, a final "Σ" stays "σ")."""
    text = regex.sub(r"[\p{White_Space}]+", " ", unicodedata.normalize("NFC", text))
    return "".join(ch.lower() for ch in text)


# Case-sensitive: the text is lower-cased already, and "'ſ" is not the contraction "'s".
WORD = regex.compile(r"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\p{White_Space}\p{L}\p{N}]+")
SPECIAL = ("<|startoftext|>", "<|endoftext|>")


class Reference:
    def __init__(self, vocab_dir):
        self.vocab = json.load(open(f"{vocab_dir}/vocab.json", encoding="utf-8"))
        lines = open(f"{vocab_dir}/merges.txt", encoding="utf-8").read().strip().split("\n")[1:49152 - 256 - 2 + 1]
        self.rank = {}
        for i, line in enumerate(lines):
            self.rank[tuple(line.split())] = i
        self.sym = byte_symbols()

    def bpe(self, word):
        parts = list(word[:-1]) + [word[-1] + "</w>"]
        while len(parts) > 1:
            ranked = [(self.rank[p], p) for p in zip(parts, parts[1:]) if p in self.rank]
            if not ranked:
                break
            _, (a, b) = min(ranked)
            out, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            parts = out
        return parts

    def tokens(self, text):
        out, rest = [], text
        while True:
            hits = [(rest.find(s), s) for s in SPECIAL if rest.find(s) >= 0]
            at, special = min(hits) if hits else (len(rest), None)
            for w in WORD.findall(normalize(rest[:at])):
                out.extend(self.bpe("".join(self.sym[b] for b in w.encode("utf-8"))))
            if special is None:
                return out
            out.append(special)
            rest = rest[at + len(special):]

    def encode(self, text, max_length):
        unk = self.vocab["<|endoftext|>"]
        ids = [self.vocab.get(t, unk) for t in self.tokens(text)][:max_length - 2]
        ids = [self.vocab["<|startoftext|>"]] + ids + [self.vocab["<|endoftext|>"]]
        return ids + [self.vocab["<|endoftext|>"]] * (max_length - len(ids))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("vocab_dir"); ap.add_argument("strings"); ap.add_argument("out")
    ap.add_argument("--max-length", type=int, default=77)
    a = ap.parse_args()
    ref = Reference(a.vocab_dir)
    strings = json.load(open(a.strings, encoding="utf-8"))
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump({"max_length": a.max_length, "ids": [ref.encode(s, a.max_length) for s in strings]}, f)
        f.write("\n")
