"""torch_speed.py: PyTorch's frames/s on this GPU for bench/gpu-check, one JSON line a row.

  torch_speed.py peak                       fp16 matrix peak (8192^3 matmuls), TFLOP/s
  torch_speed.py fps KIND SIZE BATCH MODE   KIND default|video|artistic (default: the model
                                            file given by --h5, others random weights);
                                            MODE eager|compile: fp16 autocast, channels_last

The networks are tools/frnet.py's (DeOldify's architecture), so the FLOPs are the engine's.
Timing: two warm-up batches, then batches until 2 s have passed (at least 3), synchronised.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import frnet  # noqa: E402


def timed(fn, min_s=2.0, min_n=3):
    for _ in range(2):
        fn()
    torch.cuda.synchronize()
    n, t0 = 0, time.time()
    while n < min_n or time.time() - t0 < min_s:
        fn()
        n += 1
        torch.cuda.synchronize()
    return n, time.time() - t0


def cmd_peak(a):
    x = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
    y = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
    n, dt = timed(lambda: x @ y)
    print(json.dumps({"what": "peak", "tflops": 2 * 8192 ** 3 * n / dt / 1e12, "device": torch.cuda.get_device_name()}))


def cmd_fps(a):
    if a.kind == "default":
        import colourlib
        m = colourlib.load_h5(a.h5)
    else:
        with frnet.skip_init():
            m = frnet.build_deoldify(a.kind)
    m = m.eval().cuda().to(memory_format=torch.channels_last)
    x = torch.randn(a.batch, 3, a.size, a.size, device="cuda").to(memory_format=torch.channels_last)
    f = torch.compile(m) if a.mode == "compile" else m

    def step():
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16):
            f(x)
    n, dt = timed(step)
    print(json.dumps({"what": "fps", "kind": a.kind, "size": a.size, "batch": a.batch, "mode": a.mode,
                      "fps": n * a.batch / dt}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("peak")
    f = sub.add_parser("fps")
    f.add_argument("kind", choices=["default", "video", "artistic"])
    f.add_argument("size", type=int)
    f.add_argument("batch", type=int)
    f.add_argument("mode", choices=["eager", "compile"])
    f.add_argument("--h5", default="")
    a = p.parse_args()
    torch.backends.cudnn.benchmark = True
    return {"peak": cmd_peak, "fps": cmd_fps}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main() or 0)
