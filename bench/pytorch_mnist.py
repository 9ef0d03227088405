"""Time to 99 % test-pair accuracy on full MNIST with twinnet's default recipe, in PyTorch.

The same work as `twinnet train --data data/mnist` (reference CNN, contrastive loss m = 1 on
Euclidean distance, Adam 1e-3, 128 balanced pairs per step, one pair per training item per
epoch, 10 % validation split; threshold calibrated on 5,000 validation pairs; accuracy on 10,000
balanced test pairs). Prints one JSON line per epoch: cumulative training seconds and test
accuracy. Usage: THREADS=2 python bench/pytorch_mnist.py data/mnist [EPOCHS]. Not part of CI."""
import json, os, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("THREADS", "2"))); torch.manual_seed(0)
data, epochs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8
def idx(name):
    raw = open(os.path.join(data, name), "rb").read()
    rank = raw[3]; dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * rank).reshape(dims)
xtr = idx("train-images-idx3-ubyte").astype(np.float32) / 255; ytr = idx("train-labels-idx1-ubyte")
xte = idx("t10k-images-idx3-ubyte").astype(np.float32) / 255; yte = idx("t10k-labels-idx1-ubyte")
rng = np.random.default_rng(42)
perm = rng.permutation(len(xtr)); nval = len(xtr) // 10
xva, yva, xtr, ytr = xtr[perm[:nval]], ytr[perm[:nval]], xtr[perm[nval:]], ytr[perm[nval:]]
mean, std = xtr.mean(), xtr.std()
norm = lambda x: torch.from_numpy(((x - mean) / std)[:, None])

class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 5), nn.Conv2d(32, 64, 5)
        self.fc1, self.fc2 = nn.Linear(1024, 256), nn.Linear(256, 64)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))

def pairs(y, n, rng):
    by = {c: np.flatnonzero(y == c) for c in np.unique(y)}
    out = []
    for k in range(n):
        a = rng.integers(len(y))
        if k % 2 == 0:
            b = a
            while b == a: b = rng.choice(by[y[a]])
            out.append((a, b, 1))
        else:
            b = rng.integers(len(y))
            while y[b] == y[a]: b = rng.integers(len(y))
            out.append((a, b, 0))
    rng.shuffle(out); return np.array(out)

def distances(model, x, p):
    with torch.inference_mode():
        e = torch.cat([model(norm(x[i:i + 512])) for i in range(0, len(x), 512)])
    return ((e[p[:, 0]] - e[p[:, 1]]).pow(2).sum(1) + 1e-9).sqrt().numpy()

def calibrate(d, same):
    order = np.argsort(d); ds, ss = d[order], same[order]
    tp = np.cumsum(ss); fp = np.cumsum(1 - ss); pos, neg = ss.sum(), len(ss) - ss.sum()
    acc = (tp + (neg - fp)) / len(ss); k = int(np.argmax(acc))
    return (ds[k] + ds[min(k + 1, len(ds) - 1)]) / 2

model = Tower(); opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-5)
vp, tp_ = pairs(yva, 5000, np.random.default_rng(3)), pairs(yte, 10000, np.random.default_rng(4))
trained = 0.0
for epoch in range(1, epochs + 1):
    t = time.perf_counter()
    p = pairs(ytr, len(ytr), np.random.default_rng(100 + epoch))
    for i in range(0, len(p), 128):
        b = p[i:i + 128]
        e = model(torch.cat([norm(xtr[b[:, 0]]), norm(xtr[b[:, 1]])]))
        d2 = (e[:len(b)] - e[len(b):]).pow(2).sum(1); d = (d2 + 1e-9).sqrt()
        y = torch.from_numpy(1.0 - b[:, 2].astype(np.float32))
        loss = ((1 - y) * 0.5 * d2 + y * 0.5 * (1.0 - d).clamp_min(0).pow(2)).mean()
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    trained += time.perf_counter() - t
    thr = calibrate(distances(model, xva, vp), vp[:, 2])
    acc = float(((distances(model, xte, tp_) <= thr) == tp_[:, 2]).mean())
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "epoch": epoch, "train_seconds": trained, "test_accuracy": acc}), flush=True)
