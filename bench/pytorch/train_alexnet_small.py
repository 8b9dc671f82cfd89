#!/usr/bin/env python3
"""The `alexnet-small` recipe of `convnet train` in PyTorch, for side-by-side accuracy and time.

Same network (layers, He-normal init, zero biases), same data (Fashion-MNIST IDX files from the Debian package,
5,000 training images held out for validation, per-channel mean/std), same SGD (momentum, weight decay on weights
only, as ConvNet's biases have decay multiplier 0), same schedule (plateau: /10 after `patience` epochs without a
better validation error, or cosine per step), same augmentation (random crop after zero padding, horizontal flips),
same batch size and thread count. Run with Debian's torch: /usr/bin/python3 bench/pytorch/train_alexnet_small.py
"""
import argparse, gzip, math, os, struct, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    dims = [struct.unpack(">I", raw[4 + 4 * i: 8 + 4 * i])[0] for i in range(magic & 0xFF)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def alexnet_small(classes=10, channels=1):
    def lrn():
        return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    features = nn.Sequential(
        nn.Conv2d(channels, 32, 5, padding=2), nn.ReLU(), lrn(),
        nn.Conv2d(32, 64, 3, padding=1, groups=2), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2, padding=1),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(),
        nn.Conv2d(128, 128, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(128, 64, 3, padding=1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2, padding=1),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(512, classes))
    for m in features.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
    last = features[-1]
    nn.init.normal_(last.weight, std=0.01)
    return features


def augment(x, padding, flip, gen):
    if padding > 0:
        n, _, h, w = x.shape
        padded = F.pad(x, (padding,) * 4, value=0.0)
        dy = torch.randint(0, 2 * padding + 1, (n,), generator=gen)
        dx = torch.randint(0, 2 * padding + 1, (n,), generator=gen)
        x = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    if flip:
        mask = torch.rand(x.shape[0], generator=gen) < 0.5
        x = torch.where(mask[:, None, None, None], x.flip(3), x)
    return x


def evaluate(model, x, y, batch):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = model(x[i:i + batch])
            loss += F.cross_entropy(out, y[i:i + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    model.train()
    return 1 - correct / len(x), loss / len(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0005)
    p.add_argument("--schedule", choices=["plateau", "cosine"], default="plateau")
    p.add_argument("--patience", type=int, default=1)
    p.add_argument("--crop-padding", type=int, default=0)
    p.add_argument("--flip", action="store_true")
    p.add_argument("--validation", type=int, default=5000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", default=DATA)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    xtr = read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255
    ytr = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    xte = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255
    yte = read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    perm = np.random.RandomState(a.seed).permutation(len(xtr))
    val_idx, tr_idx = np.sort(perm[len(xtr) - a.validation:]), np.sort(perm[:len(xtr) - a.validation])
    mean, std = xtr[tr_idx].mean(), xtr[tr_idx].std()
    norm = lambda v: torch.from_numpy((v - mean) / std).unsqueeze(1)
    xt, yt = norm(xtr[tr_idx]), torch.from_numpy(ytr[tr_idx])
    xv, yv = norm(xtr[val_idx]), torch.from_numpy(ytr[val_idx])
    xs, ys = norm(xte), torch.from_numpy(yte)
    pad_value = (0 - mean) / std  # a black pixel, as ConvNet pads

    model = alexnet_small()
    decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": a.weight_decay}, {"params": no_decay, "weight_decay": 0}],
                          lr=a.lr, momentum=a.momentum)
    batches = len(xt) // a.batch_size
    total_steps, step, best, waited, lr = batches * a.epochs, 0, math.inf, 0, a.lr
    start = time.time()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(xt)} train / {len(xv)} val images", flush=True)
    for epoch in range(a.epochs):
        order = torch.randperm(len(xt), generator=gen)
        t0, loss_sum, correct = time.time(), 0.0, 0
        for b in range(batches):
            idx = order[b * a.batch_size:(b + 1) * a.batch_size]
            x = augment(xt[idx] - pad_value, a.crop_padding, a.flip, gen) + pad_value
            if a.schedule == "cosine":
                lr = a.lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))
            for g in opt.param_groups:
                g["lr"] = lr
            out = model(x)
            loss = F.cross_entropy(out, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item()
            correct += (out.argmax(1) == yt[idx]).sum().item()
        secs = time.time() - t0
        val_err, val_loss = evaluate(model, xv, yv, 500)
        print(f"epoch {epoch + 1}: train loss {loss_sum / batches:.4f}, train top-1 error {1 - correct / (batches * a.batch_size):.2%}, "
              f"val top-1 error {val_err:.2%}, lr {lr:.3g}, {batches * a.batch_size / secs:.0f} img/s, {time.time() - start:.0f} s", flush=True)
        if a.schedule == "plateau":
            if val_err < best:
                best, waited = val_err, 0
            else:
                waited += 1
                if waited >= a.patience:
                    lr, waited = lr * 0.1, 0
    test_err, _ = evaluate(model, xs, ys, 500)
    print(f"test: top-1 error {test_err:.2%} (accuracy {1 - test_err:.2%}) on {len(xs)} images; training wall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
