#!/usr/bin/env python3
"""Times PyTorch on the same AlexNets and batches as `convnet bench`: training steps (forward, cross-entropy,
backward, SGD with momentum and weight decay) or inference (eval mode, no grad), images/s over repeated runs.
The paper net is built exactly as ConvNet's `alexnet` (227x227, LRN k=2, groups 2, dropout after fc6/fc7);
the torchvision layout is torchvision.models.alexnet. Run with Debian's torch and libopenblas0-openmp:
  /usr/bin/python3 bench/pytorch/bench_alexnet.py --model alexnet --mode train --batch 128 --threads 2
Prints one JSON object: {"model", "mode", "batch", "threads", "imagesPerSecond": [per repeat], "median"}, where
"median" is images/s at the median step time (as `convnet bench` and bench/ConvNet.Bench ort report it).

On a GPU (`--device cuda` or `cuda:N`) model and data live on the device, cuDNN picks its fastest algorithms
(cudnn.benchmark) and each timed step ends with torch.cuda.synchronize(). `--precision fp32` (the default) turns
TF32 off in both cuDNN convolutions and matmuls, which PyTorch would otherwise allow in convolutions, so the
figures compare like for like with ConvNet's FP32 engine; `--precision tf32` allows it in both. The JSON then
also holds "device", "gpu", "precision" and the TF32 settings read back from torch.
`--gemm N` times an NxNxN float32 matmul on the device instead: {"gemm": N, "tflops": at the median time, ...}.
"""
import argparse, json, re, statistics, time

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


def device_name(text):
    if not re.fullmatch(r"cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError("expected cpu, cuda or cuda:N")
    return text


def has(obj, name):
    """hasattr for torch.backends modules, whose __getattr__ raised AssertionError for unknown names in torch 1.x."""
    try:
        getattr(obj, name)
        return True
    except Exception:
        return False


def set_precision(precision):
    """Sets TF32 for cuDNN convolutions and CUDA matmuls, and returns the settings as torch reports them.
    From PyTorch 2.9 on, the fp32_precision settings replace the allow_tf32 flags, and torch refuses to read the
    flags back once the two APIs have been mixed: use the new one where it exists, only the old one otherwise."""
    tf32 = precision == "tf32"
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    if has(matmul, "fp32_precision") and has(cudnn, "conv"):
        mode = "tf32" if tf32 else "ieee"
        matmul.fp32_precision = mode
        cudnn.conv.fp32_precision = mode
        return {"matmulFp32Precision": matmul.fp32_precision, "cudnnConvFp32Precision": cudnn.conv.fp32_precision}
    matmul.allow_tf32 = tf32
    cudnn.allow_tf32 = tf32
    return {"matmulAllowTf32": matmul.allow_tf32, "cudnnAllowTf32": cudnn.allow_tf32}


def gpu_fields(device, precision, tf32_settings):
    return {"device": str(device), "gpu": torch.cuda.get_device_name(device), "precision": precision,
            "tf32Settings": tf32_settings, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}


def time_gemm(n, device, warmup, repeats, sync):
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    for _ in range(max(warmup, 1)):
        torch.mm(a, b)
    seconds = []
    for _ in range(repeats):
        sync()
        t = time.perf_counter()
        torch.mm(a, b)
        sync()
        seconds.append(time.perf_counter() - t)
    return 2.0 * n ** 3, seconds


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["alexnet", "alexnet-torchvision"], default="alexnet")
    p.add_argument("--mode", choices=["train", "infer"], default="train")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--device", type=device_name, default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--precision", choices=["fp32", "tf32"], default="fp32",
                   help="GPU only: fp32 turns TF32 off in cuDNN convolutions and matmuls, tf32 allows it in both")
    p.add_argument("--gemm", type=int, metavar="N", help="time an NxNxN float32 matmul instead of a model")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    device = torch.device(a.device)
    on_gpu = device.type == "cuda"
    if on_gpu:
        if not torch.cuda.is_available():
            raise SystemExit(f"--device {a.device}: torch {torch.__version__} sees no CUDA GPU")
        if device.index is None:  # "cuda": the current GPU, named with its index (set_device needs one)
            device = torch.device("cuda", torch.cuda.current_device())
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True
        tf32_settings = set_precision(a.precision)
    # GPU work is queued: wait for it to finish before reading the clock, on both sides of a timed step.
    sync = (lambda: torch.cuda.synchronize(device)) if on_gpu else (lambda: None)

    if a.gemm:
        flop, seconds = time_gemm(a.gemm, device, a.warmup, a.repeats, sync)
        result = {"engine": f"pytorch {torch.__version__}", "gemm": a.gemm, "tflops": flop / statistics.median(seconds) / 1e12,
                  "tflopsPerRepeat": [flop / s / 1e12 for s in seconds]}
        result.update(gpu_fields(device, a.precision, tf32_settings) if on_gpu
                      else {"device": "cpu", "threads": torch.get_num_threads()})
        print(json.dumps(result))
        return

    model = paper_alexnet() if a.model == "alexnet" else torchvision.models.alexnet()
    model = model.to(device)
    size = 227 if a.model == "alexnet" else 224
    x = torch.randn(a.batch, 3, size, size).to(device)
    y = torch.randint(0, 1000, (a.batch,)).to(device)
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
    seconds = []
    for _ in range(a.repeats):
        sync()
        t = time.perf_counter()
        step()
        sync()
        seconds.append(time.perf_counter() - t)
    # The median as `convnet bench` takes it: images/s at the median step time (statistics.median of the times: the
    # mean of the two middle ones for an even count), not the median of per-step rates.
    result = {"engine": f"pytorch {torch.__version__}", "model": a.model, "mode": a.mode, "batch": a.batch,
              "threads": torch.get_num_threads(), "imagesPerSecond": [a.batch / s for s in seconds],
              "median": a.batch / statistics.median(seconds)}
    if on_gpu:  # the CPU output keeps its old form
        result.update(gpu_fields(device, a.precision, tf32_settings))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
