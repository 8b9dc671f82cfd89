#!/usr/bin/env python3
"""Times PyTorch on the same AlexNets and batches as `convnet bench`: training steps (forward, cross-entropy,
backward, SGD with momentum and weight decay) or inference (eval mode, no grad), images/s over repeated runs.
The paper net is built exactly as ConvNet's `alexnet` (227x227, LRN k=2, groups 2, dropout after fc6/fc7);
the torchvision layout is torchvision.models.alexnet. Run with Debian's torch and libopenblas0-openmp:
  /usr/bin/python3 bench/pytorch/bench_alexnet.py --model alexnet --mode train --batch 128 --threads 2
Prints one JSON object: {"model", "mode", "batch", "threads", "imagesPerSecond": [per repeat], "median"}.
"""
import argparse, json, statistics, time

import torch
import torch.nn as nn
import torchvision


def paper_alexnet(classes=1000):
    lrn = lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, classes))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["alexnet", "alexnet-torchvision"], default="alexnet")
    p.add_argument("--mode", choices=["train", "infer"], default="train")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = paper_alexnet() if a.model == "alexnet" else torchvision.models.alexnet()
    size = 227 if a.model == "alexnet" else 224
    x = torch.randn(a.batch, 3, size, size)
    y = torch.randint(0, 1000, (a.batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0005)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        if a.mode == "train":
            model.train()
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        else:
            model.eval()
            with torch.no_grad():
                model(x)

    for _ in range(a.warmup):
        step()
    rates = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        step()
        rates.append(a.batch / (time.perf_counter() - t))
    print(json.dumps({"engine": f"pytorch {torch.__version__}", "model": a.model, "mode": a.mode, "batch": a.batch,
                      "threads": torch.get_num_threads(), "imagesPerSecond": rates, "median": statistics.median(rates)}))


if __name__ == "__main__":
    main()
