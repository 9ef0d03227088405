#!/usr/bin/env python3
"""Writes fuzz/seeds/<target>/: small valid inputs of each format, for the fuzzers to start
from and for `cargo test` (tests/fuzz_corpus.rs) to replay. Run from the repository root;
the output is committed, so this only needs running again when a format changes."""
import gzip, hashlib, json, os, struct, zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def png(w, h, channels, pixel):
    color = {1: 0, 3: 2}[channels]
    raw = b"".join(b"\0" + bytes(pixel(x, y) for x in range(w) for _ in range(channels)) for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def bmp(w, h):
    row = (w * 3 + 3) & ~3
    pixels = b"".join(bytes((x * 40) % 256 for x in range(w * 3)).ljust(row, b"\0") for _ in range(h))
    return (b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
            + struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0) + pixels)


# idx: 3 images of 2x3 and their labels, plain and gzipped.
images = struct.pack(">BBBBIII", 0, 0, 8, 3, 3, 2, 3) + bytes(range(0, 180, 10))
labels = struct.pack(">BBBBI", 0, 0, 8, 1, 3) + bytes([0, 1, 2])
put("idx", "images.idx3", images)
put("idx", "labels.idx1", labels)
put("idx", "images.idx3.gz", gzip.compress(images, mtime=0))

# image: a digit-like stroke as PNG (gray, RGB), PGM, PPM and BMP; the 20000x20000 bomb lives
# here too (written by hand: a PNG header declaring it and no pixel data).
stroke = lambda x, y: 255 if abs(x - y) < 2 else 0
put("image", "stroke-gray.png", png(12, 10, 1, stroke))
put("image", "stroke-rgb.png", png(9, 7, 3, stroke))
put("image", "stroke.pgm", b"P5 6 5 255\n" + bytes(stroke(x, y) for y in range(5) for x in range(6)))
put("image", "stroke-ascii.pgm", "P2\n3 2\n255\n0 128 255\n255 128 0\n")
put("image", "stroke.ppm", b"P6 4 3 255\n" + bytes(stroke(x, y) for y in range(3) for x in range(4) for _ in range(3)))
put("image", "stroke.bmp", bmp(5, 4))

# pair_list: names the two images the target puts beside the list.
put("pair_list", "pairs.tsv", "a.png\tb.png\t1\nb.png\ta.png\t0\n")
put("pair_list", "header.tsv", "path_a\tpath_b\tlabel\n# a comment\na.png\ta.png\tsame\r\na.png\tb.png\tdifferent\n")

# text_pairs: labels, scores, a declared header, triplets, labelled texts.
put("text_pairs", "labels.tsv", "text_a\ttext_b\tlabel\na cat\ta kitten\t1\na cat\ta car\t0\n")
put("text_pairs", "scores.tsv", "a cat\ta kitten\t4.5\na cat\ta car\t0.5\n")
put("text_pairs", "triplets.tsv", "anchor\tpositive\tnegative\na cat\ta kitten\ta car\n")
put("text_pairs", "labelled.tsv", "text\tlabel\nhello there\tgreeting\ngood bye\tfarewell\n")

# manifest: the version-1 test model's, and a text model's.
with open(os.path.join(ROOT, "..", "..", "crates/twinnet/tests/data/model-v1/manifest.json"), "rb") as f:
    put("manifest", "image-v1.json", f.read())
put("manifest", "text.json", json.dumps({
    "format": "twinnet-text-model", "format_version": 1, "twinnet_version": "0.1.0",
    "source": "fuzz", "encoder": {"kind": "bag", "vocab_size": 8, "embedding_dim": 4, "hidden_size": 4},
    "pooling": {"cls": False, "max": False, "mean": True, "mean_sqrt_len": False},
    "normalize": True, "max_seq_length": 16, "distance": "cosine", "threshold": 0.5,
    "weights_sha256": "", "tokenizer_sha256": ""}))


# safetensors: weights of the target's MLP 4 -> 3 -> 2, and a bad dtype.
def safetensors(tensors):
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, shape in tensors:
        n = 1
        for s in shape:
            n *= s
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * n]}
        data += struct.pack("<%df" % n, *[0.1 * (i % 7) for i in range(n)])
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


mlp = [("Mlp.layers.0.weight", [3, 4]), ("Mlp.layers.0.bias", [3]),
       ("Mlp.layers.1.weight", [2, 3]), ("Mlp.layers.1.bias", [2])]
put("safetensors", "mlp.safetensors", safetensors(mlp))
put("safetensors", "wrong-shape.safetensors", safetensors(mlp[:2] + [("Mlp.layers.1.weight", [3, 2])] + mlp[3:]))

# gallery_file: two 3-d entries with their checksum.
rows = struct.pack("<6f", 0.5, 0.25, 0.0, -1.0, 2.0, 0.125)
entry = lambda i, label: {"id": i, "label": label, "source": label + ".png"}
gh = json.dumps({"format": "twinnet-gallery", "version": 1, "fingerprint": "cnn:abc", "dim": 3,
                 "distance": "euclidean", "next_id": 3, "generation": 2,
                 "entries": [entry(1, "ann"), entry(2, "bob")],
                 "rows_sha256": hashlib.sha256(rows).hexdigest()}).encode()
put("gallery_file", "two.twg", struct.pack("<Q", len(gh)) + gh + rows)

# tokenizer: a small BERT-style wordpiece tokenizer, and a word-level one.
vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "cat", "sat", "on", "the", "mat", "##s"]
special = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True} for i, t in enumerate(vocab[:4])]
put("tokenizer", "wordpiece.json", json.dumps({
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
    "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                   "strip_accents": None, "lowercase": True},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "post_processor": {"type": "TemplateProcessing",
                       "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                  {"Sequence": {"id": "A", "type_id": 0}},
                                  {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                       "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                       "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                                          "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
    "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
              "max_input_chars_per_word": 100, "vocab": {t: i for i, t in enumerate(vocab)}}}))
put("tokenizer", "wordlevel.json", json.dumps({
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
    "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
    "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1, "cat": 2}, "unk_token": "[UNK]"}}))

# http_json: one byte naming the endpoint, then the body.
import base64
img = base64.b64encode(png(8, 8, 1, stroke)).decode()
put("http_json", "embed-image", "e" + json.dumps({"image": img}))
put("http_json", "embed-inputs", "e" + json.dumps({"inputs": [{"image": img}, {"image": img}]}))
put("http_json", "embed-text", "e" + json.dumps({"text": "a cat"}))
put("http_json", "verify", "v" + json.dumps({"a": {"image": img}, "b": {"image": img}, "threshold": 0.5}))
put("http_json", "identify", "i" + json.dumps({"image": img, "top_k": 3, "threshold": 1.0}))
put("http_json", "enroll", "g" + json.dumps({"label": "ann", "image": img, "source": "seed"}))

# tfjs: a TensorFlow.js weights manifest, a NUL byte, then the bytes of its one shard `w.bin`.
tfjs = json.dumps([{"paths": ["w.bin"], "weights": [
    {"name": "conv/filters", "shape": [1, 1, 1, 2], "dtype": "float32",
     "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}},
    {"name": "conv/bias", "shape": [2], "dtype": "float32"},
    {"name": "size", "shape": [], "dtype": "int32"}]}])
put("tfjs", "quantized", tfjs.encode() + b"\0" + bytes([0, 4]) + struct.pack("<2f", 0.5, -0.5) + struct.pack("<i", 7))
