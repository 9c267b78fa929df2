"""Shared vocabulary: specials, then word-level text tokens, then the image codes (one range each)."""
import json
import re

WORD_RE = re.compile(r"\w+|[^\w\s]+", re.ASCII)  # HF "Whitespace" pre-tokenizer (ASCII \w, as in JS)


def split_words(text):
    """Lowercase, then HF Whitespace pre-tokenization: runs of word characters, or of punctuation."""
    return WORD_RE.findall(text.lower())


SPECIALS = ["<pad>", "<bos>", "<eos>", "<boi>", "<eoi>", "<null>", "<user>", "<assistant>", "<unk>"]


class Vocab:
    def __init__(self, words, codebook_size):
        self.specials = list(SPECIALS)
        self.words = list(words)
        self.id = {t: i for i, t in enumerate(self.specials + self.words)}
        self.text_start = len(self.specials)
        self.image_start = len(self.specials) + len(self.words)
        self.codebook_size = codebook_size
        self.size = self.image_start + codebook_size
        for name in SPECIALS:
            setattr(self, name.strip("<>"), self.id[name])

    @staticmethod
    def from_captions(captions, codebook_size):
        """Every word of the given texts (split_words), in sorted order so the layout is deterministic."""
        words = sorted({w for c in captions for w in split_words(c)})
        return Vocab(words, codebook_size)

    def encode(self, text):
        return [self.id.get(w, self.unk) for w in split_words(text)]

    def decode(self, ids):
        return " ".join(self.specials_or_words(i) for i in ids)

    def specials_or_words(self, i):
        if i < self.image_start:
            return (self.specials + self.words)[i]
        return f"<img:{i - self.image_start}>"

    def layout(self):
        """The vocab section of config.json."""
        return {"size": self.size, "specials": {t: self.id[t] for t in self.specials},
                "text_range": [self.text_start, self.image_start], "image_range": [self.image_start, self.size]}

    def tokenizer_json(self):
        """HuggingFace tokenizer.json: WordLevel model, Whitespace pre-tokenizer, Lowercase normalizer."""
        vocab = {t: i for t, i in self.id.items()}
        added = [{"id": self.id[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for t in self.specials]
        return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
                "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
                "post_processor": None, "decoder": None,
                "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}}

    def save_tokenizer(self, path):
        with open(path, "w") as f:
            json.dump(self.tokenizer_json(), f, indent=1, ensure_ascii=False)
