#!/usr/bin/env python3
"""Cut the bundled MNIST sample (assets/mnist-sample) out of full MNIST.

Usage: scripts/make-mnist-sample.py DATA_DIR [OUT_DIR]
DATA_DIR holds the raw IDX files (`twinnet data fetch mnist` puts them in data/mnist).
Takes a seeded, class-balanced subset: 500 training and 100 test digits per class."""
import gzip, os, random, struct, sys

def read(path):
    raw = open(path, "rb").read()
    magic, = struct.unpack(">I", raw[:4])
    rank = magic & 0xFF
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return dims, raw[4 + 4 * rank:]

def write(path, dims, payload):
    header = struct.pack(">I", 0x0800 | len(dims)) + struct.pack(">" + "I" * len(dims), *dims)
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(header + payload)

def cut(src, out, prefix, per_class, rng):
    (n, h, w), pixels = read(os.path.join(src, f"{prefix}-images-idx3-ubyte"))
    _, labels = read(os.path.join(src, f"{prefix}-labels-idx1-ubyte"))
    by_class = {}
    for i, l in enumerate(labels):
        by_class.setdefault(l, []).append(i)
    chosen = sorted(i for l in sorted(by_class) for i in rng.sample(by_class[l], per_class))
    size = h * w
    write(os.path.join(out, f"{prefix}-images-idx3-ubyte.gz"), (len(chosen), h, w),
          b"".join(pixels[i * size:(i + 1) * size] for i in chosen))
    write(os.path.join(out, f"{prefix}-labels-idx1-ubyte.gz"), (len(chosen),),
          bytes(labels[i] for i in chosen))

if __name__ == "__main__":
    src = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "assets/mnist-sample"
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261130)
    cut(src, out, "train", 500, rng)
    cut(src, out, "t10k", 100, rng)
