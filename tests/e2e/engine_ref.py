"""engine_ref.py: helper of the engine's end-to-end tests (tests/e2e/engine_*.sh) and of
bench/generator: makes random calibrated models with tools/frnet.py, saves them the way
their owners do (DeOldify: a fastai Learner checkpoint {'model': state_dict}; ours: HDF5
through frnet.export_h5), and compares the engine's raw output with PyTorch's.

  engine_ref.py make KIND OUT [--seed S]      KIND artistic|stable|video -> OUT.pth (DeOldify
                                              checkpoint); mobilenet -> OUT.pt (state_dict)
                                              and OUT.h5 (exported) side by side
  engine_ref.py compare KIND STATE MODEL.h5 --bin FR_BIN --size S [--frames N] [--threads T]
                        [--backend B] [--precision P] [--batch K]
                                              (STATE may be MODEL.h5 itself: its PyTorch twin
                                              is rebuilt from the file by colourlib.load_h5)
                                              prints the relative error per frame, fails above
                                              --tol (1e-4)
  engine_ref.py inputs KIND OUT.f32 --size S [--frames N] [--first K --count C]
                                              the compare inputs as raw float32 (frames K..K+C-1)
  engine_ref.py corrupt IN.h5 OUT.h5 HOW      a damaged copy: tamper (data changed, digest
                                              kept), missing, shape, extra (re-signed), encoder
                                              (bad attribute), truncate
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
    if path.endswith(".h5"):  # a trained engine model file (models/default.h5): PyTorch twin
        import colourlib
        return colourlib.load_h5(path).eval()
    with frnet.skip_init():
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
               "--size", str(a.size), "--threads", str(a.threads), "--stats", "--backend", a.backend,
               "--batch", str(a.batch)] + (["--precision", a.precision] if a.precision else [])
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


def cmd_inputs(a):
    with frnet.skip_init():
        m = build(a.kind)
    x = inputs(m, a.frames, a.size, a.seed)[a.first:a.first + (a.count or a.frames)]
    x.numpy().astype("<f4").tofile(a.out)


def cmd_corrupt(a):
    import shutil
    import h5py
    if a.how == "truncate":
        data = open(a.input, "rb").read()
        open(a.out, "wb").write(data[:len(data) * 3 // 5])
        return 0
    shutil.copyfile(a.input, a.out)
    with h5py.File(a.out, "r+") as f:
        g = f["tensors"]
        names = sorted(g.keys())
        victim = [n for n in names if n.startswith("dec.block1.")][0]
        if a.how == "tamper":
            d = g[victim][...]
            d.flat[0] += 0.5
            g[victim][...] = d
        elif a.how == "missing":
            del g[victim]
        elif a.how == "shape":
            d = g[victim][...]
            del g[victim]
            g.create_dataset(victim, data=np.concatenate([d, d[:1]], axis=0))
        elif a.how == "extra":
            g.create_dataset("dec.block1.stray.weight", data=np.ones((4, 4, 1, 1), np.float32))
        elif a.how == "encoder":
            f.attrs["encoder"] = np.bytes_("resnet50")
        if a.how in ("missing", "shape", "extra"):  # a consistent file of the wrong shape
            t = {n: g[n][...] for n in g.keys()}
            f.attrs["n_tensors"] = np.int32(len(t))
            f.attrs["weights_sha256"] = np.bytes_(frnet.weights_sha256(t))
    print(victim)
    return 0


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
    cp.add_argument("--backend", default="cpu")
    cp.add_argument("--precision", default="")
    cp.add_argument("--batch", type=int, default=1)
    ip = sub.add_parser("inputs")
    ip.add_argument("kind", choices=["artistic", "stable", "video", "mobilenet"])
    ip.add_argument("out")
    ip.add_argument("--size", type=int, required=True)
    ip.add_argument("--frames", type=int, default=3)
    ip.add_argument("--first", type=int, default=0)
    ip.add_argument("--count", type=int, default=0)
    ip.add_argument("--seed", type=int, default=1)
    co = sub.add_parser("corrupt")
    co.add_argument("input")
    co.add_argument("out")
    co.add_argument("how", choices=["tamper", "missing", "shape", "extra", "encoder", "truncate"])
    a = p.parse_args()
    torch.set_num_threads(2)
    return {"make": cmd_make, "compare": cmd_compare, "inputs": cmd_inputs,
            "corrupt": cmd_corrupt}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main() or 0)
