"""PyTorch eager peer of `StepBenchmark --device cuda:0 --only resnet9paper`: the memorization paper's ResNet-9
(plain torch.nn, the same layout as dev.engram.nn.models.ResNet9) on CIFAR-10-shaped random data, one training step =
forward, mean cross-entropy, backward, plain SGD (lr 0.01), reading the loss back; warm-up at least 5 steps and 3 s,
then at least 10 steps and 2 s, as StepTimer. cudnn.benchmark on. Prints the median and min step time, seconds per
epoch of 50,000 examples and the peak device memory, fp32 and TF32.

usage: python3 benchmarks/gpu/resnet9_torch.py [--batch 512] [--device cuda:0]
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn


def conv_bn(cin, cout, k=3, s=1, p=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, p, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Residual(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return x + self.module(x)


class Mul(nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.weight = weight

    def forward(self, x):
        return x * self.weight


def resnet9(channels=3, classes=10):
    return nn.Sequential(
        conv_bn(channels, 64, 3, 1, 1), conv_bn(64, 128, 5, 2, 2),
        Residual(nn.Sequential(conv_bn(128, 128), conv_bn(128, 128))),
        conv_bn(128, 256, 3, 1, 1), nn.MaxPool2d(2),
        Residual(nn.Sequential(conv_bn(256, 256), conv_bn(256, 256))),
        conv_bn(256, 128, 3, 1, 0), nn.AdaptiveMaxPool2d(1), nn.Flatten(),
        nn.Linear(128, classes, bias=False), Mul(0.2))


def run(batch, device, tf32):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(42)
    model = resnet9().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(batch, 3, 32, 32, device=device)
    y = (torch.arange(batch, device=device) * 7) % 10
    loss_fn = nn.CrossEntropyLoss()
    torch.cuda.reset_peak_memory_stats(device)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    start, warm = time.perf_counter(), 0
    while warm < 5 or time.perf_counter() - start < 3.0:
        step()
        warm += 1
    times, timed_start = [], time.perf_counter()
    while len(times) < 10 or time.perf_counter() - timed_start < 2.0:
        t0 = time.perf_counter()
        last = step()
        times.append((time.perf_counter() - t0) * 1e3)
    med = statistics.median(times)
    name = f"torch_resnet9paper_b{batch}_{'tf32' if tf32 else 'fp32'}"
    print(f"{name}: {warm} warm-up + {len(times)} timed steps, final loss {last:.4f}, median {med:.3f} ms, min {min(times):.3f} ms,"
          f" max {max(times):.3f} ms, {med / 1e3 * 50000 / batch:.2f} s per 50,000-example epoch,"
          f" peak device memory {torch.cuda.max_memory_allocated(device) / 2**20:.1f} MiB")
    print(f"RESULT {name} {med:.3f} {min(times):.3f} 0 {max(times):.3f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--device", default="cuda:0")
    a = ap.parse_args()
    print(f"torch {torch.__version__} cuda {torch.version.cuda} cudnn {torch.backends.cudnn.version()} "
          f"{torch.cuda.get_device_name(a.device)}")
    for tf32 in (False, True):
        run(a.batch, a.device, tf32)
