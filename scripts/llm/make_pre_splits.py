#!/usr/bin/python3
"""Writes tests/data/text/gguf_pre_splits.txt: for each GGUF pre-tokenizer
type, how llama.cpp splits test texts into words, computed independently of
inferd with Python's `regex` module (Debian python3-regex):

    /usr/bin/python3 scripts/llm/make_pre_splits.py

llama.cpp (llama-vocab.cpp) runs a list of expressions per pre-type, each one
splitting every piece the previous left into its matches and the gaps
between; the expressions below are those lists. Lines:

    <pre-type> <hex text or -> <hex word> <hex word> ...
"""

import os

import regex

GPT2 = (r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+"
        r"|\s+(?!\S)")
CJK = "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+"
PRE = {
    "default": [r"[\p{P}\$\+<=>\^~\|]+", GPT2, r"\p{N}+", "[0-9][0-9][0-9]"],
    "gpt-2": [GPT2],
    "falcon": [r"[\p{P}\$\+<=>\^~\|`]+", GPT2, "[0-9][0-9][0-9]"],
    "starcoder": [r"\p{N}", GPT2],
    "command-r": [r"\p{N}", GPT2],
    "deepseek-coder": ["[\r\n]", r"\s?\p{L}+", r"\s?\p{P}+", CJK, r"\p{N}"],
    "deepseek-llm": ["[\r\n]", r"\s?[\p{Lu}\p{Ll}\p{Lt}]+",
                     "\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f"
                     "\u3000-\u3002]+", r"\s+$", CJK, r"\p{N}+"],
    "llama-bpe": [r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
                  r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
    "qwen2": [r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
              r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
              r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
}
TEXTS = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\t\n", " \n\n ",
    "Hello world", " Hello world", "Hello  world", "  Hello   world  ",
    "don't STOP'S we'll I'VE", "1234567 apples, 89 pears!",
    "3.14159 + 2^10 = 1026 | x ~ y $5 <tag> `code`",
    "line one\nline two\r\n\n\tindented", "    def f(x):\n        return x",
    "caf\u00e9 na\u00efve \u00bd \U0001f999 \u043d\u0435\u0449\u043e",
    "\u4f60\u597d\u4e16\u754c\uff0c\u6d4b\u8bd5\u3002 \ud55c\uad6d\uc5b4",
    "\u00c5ngstr\u00f6m \u03a9mega \u2160\u2161 \u0661\u0662\u0663",
    "emoji \U0001f600\U0001f601 and \u2014 dashes \u2013 \u201cquoted\u201d",
    "...!!!???", "a\u3000b\u3001c", "tab\tseparated\tvalues  ",
    "trailing spaces   ", "\u00a0non-breaking\u00a0space", "x\u2028y",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35 \u0939\u093f\u0928\u094d\u0926\u0940",
    "USD$100+EUR\u20ac200=\uff04300", "a'b 'tis o'clock",
]


def split(text, exprs):
    pieces = [text] if text else []
    for expr in exprs:
        out = []
        for p in pieces:
            pos = 0
            for m in regex.finditer(expr, p):
                if m.start() > pos:
                    out.append(p[pos:m.start()])
                if m.end() > m.start():
                    out.append(m.group())
                pos = m.end()
            if pos < len(p):
                out.append(p[pos:])
        pieces = out
    return pieces


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    path = os.path.join(root, "tests/data/text/gguf_pre_splits.txt")
    with open(path, "w") as f:
        for pre, exprs in PRE.items():
            for text in TEXTS:
                words = split(text, exprs)
                assert "".join(words) == text
                f.write("%s %s %s\n" % (
                    pre, text.encode().hex() or "-",
                    " ".join(w.encode().hex() for w in words)))
    print("wrote", path)


if __name__ == "__main__":
    main()
