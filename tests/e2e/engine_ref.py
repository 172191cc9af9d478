"""engine_ref.py: helper of the engine's end-to-end tests (tests/e2e/engine_*.sh) and of
bench/generator: makes random calibrated models with tools/frnet.py, saves them the way
their owners do (DeOldify: a fastai Learner checkpoint {'model': state_dict}; ours: HDF5
through frnet.export_h5), and compares the engine's raw output with PyTorch's.

  engine_ref.py make KIND OUT [--seed S]      KIND artistic|stable|video -> OUT.pth (DeOldify
                                              checkpoint); mobilenet -> OUT.pt (state_dict)
                                              and OUT.h5 (exported) side by side
  engine_ref.py compare KIND STATE MODEL.h5 --bin FR_BIN --size S [--frames N] [--threads T]
                                              prints the relative error per frame, fails above
                                              --tol (1e-4)
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import frnet  # noqa: E402


def build(kind):
    return frnet.build_mobilenet_unet() if kind == "mobilenet" else frnet.build_deoldify(kind)


def cmd_make(a):
    torch.manual_seed(a.seed)
    m = build(a.kind)
    frnet.calibrate(m, steps=a.steps, size=a.calib_size, seed=a.seed)
    sd = m.state_dict()
    if a.kind == "mobilenet":
        torch.save(sd, a.out + ".pt")
        frnet.export_h5(m, a.out + ".h5", name="test-mobilenet")
    else:
        torch.save({"model": sd, "opt": None}, a.out)


def load(kind, path):
    m = build(kind)
    ck = torch.load(path, map_location="cpu")
    m.load_state_dict(ck["model"] if "model" in ck else ck)
    m.eval()
    return m


def inputs(m, n, size, seed):
    """n photo-like gray frames, normalised for m: smooth, grainy, dark, bright..."""
    gray = frnet.smooth_images(n, size, seed=seed)
    g = torch.Generator().manual_seed(seed)
    for i in range(1, n):
        if i % 3 == 1:  # film grain
            gray[i] = (gray[i] + 0.08 * torch.randn(1, size, size, generator=g)).clamp(0, 1)
        elif i % 3 == 2:  # underexposed
            gray[i] = gray[i] * 0.25
    s = m.settings
    return frnet.normalise(gray, s["input_mean"], s["input_std"]).contiguous()


def cmd_compare(a):
    torch.set_num_threads(a.torch_threads)
    m = load(a.kind, a.state)
    s = m.settings
    x = inputs(m, a.frames, a.size, a.seed)
    with torch.no_grad():
        t0 = time.time()
        ref = m(x).numpy()
        t_ref = time.time() - t0
    with tempfile.TemporaryDirectory() as d:
        fin, fout = os.path.join(d, "in.f32"), os.path.join(d, "out.f32")
        x.numpy().astype("<f4").tofile(fin)
        cmd = [a.bin, "engine_forward", "--model", a.model, "--input", fin, "--output", fout,
               "--size", str(a.size), "--threads", str(a.threads), "--stats"]
        t0 = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True)
        t_eng = time.time() - t0
        if r.returncode:
            print("engine failed:", r.stderr.strip())
            return 1
        out = np.fromfile(fout, dtype="<f4").reshape(ref.shape)
    worst = 0.0
    for i in range(a.frames):
        err = float(np.linalg.norm(out[i] - ref[i]) / np.linalg.norm(ref[i]))
        worst = max(worst, err)
        print("%s size %d frame %d: rel err %.3g (max abs %.3g)" % (
            a.kind, a.size, i, err, float(np.abs(out[i] - ref[i]).max())))
    print("%s size %d: worst %.3g (tol %.0e); torch %.1fs, engine %.1fs (%s)" % (
        a.kind, a.size, worst, a.tol, t_ref, t_eng, r.stdout.strip()))
    return 0 if worst <= a.tol else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    mk = sub.add_parser("make")
    mk.add_argument("kind", choices=["artistic", "stable", "video", "mobilenet"])
    mk.add_argument("out")
    mk.add_argument("--seed", type=int, default=0)
    mk.add_argument("--steps", type=int, default=6)
    mk.add_argument("--calib-size", type=int, default=128)
    cp = sub.add_parser("compare")
    cp.add_argument("kind", choices=["artistic", "stable", "video", "mobilenet"])
    cp.add_argument("state")
    cp.add_argument("model")
    cp.add_argument("--bin", required=True)
    cp.add_argument("--size", type=int, required=True)
    cp.add_argument("--frames", type=int, default=2)
    cp.add_argument("--threads", type=int, default=2)
    cp.add_argument("--torch-threads", type=int, default=2)
    cp.add_argument("--seed", type=int, default=1)
    cp.add_argument("--tol", type=float, default=1e-4)
    a = p.parse_args()
    torch.set_num_threads(2)
    return cmd_make(a) if a.cmd == "make" else cmd_compare(a)


if __name__ == "__main__":
    sys.exit(main() or 0)
