"""generator.py: the body of bench/generator (see there). Prints one table."""
import argparse
import ctypes
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))


def sgemm_peak(threads, native):
    """Best GFLOP/s of a 4096^2 float32 matmul through numpy's OpenBLAS, in a child
    process so OPENBLAS_* variables can differ; returns (gflops, kernel name)."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if native:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    code = r"""
import ctypes, time, numpy as np
n = 4096
a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
a @ b
best = min((lambda t: (a @ b, time.time() - t)[1])(time.time()) for _ in range(4))
name = "?"
for line in open("/proc/self/maps"):
    if "openblas" in line and line.strip().endswith(".so.0") or "libblas.so" in line:
        try:
            lib = ctypes.CDLL(line.split()[-1]); lib.openblas_get_corename.restype = ctypes.c_char_p
            name = lib.openblas_get_corename().decode(); break
        except Exception:
            pass
print(2 * n ** 3 / best / 1e9, name)
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), out[1]


def make_model(kind, cache):
    import engine_ref  # noqa: F401  (makes models the way the tests do)
    os.makedirs(cache, exist_ok=True)
    if kind == "default":  # the embedded model itself; its PyTorch twin is rebuilt from the file
        h5 = os.path.join(ROOT, "models/default.h5")
        return h5, h5
    if kind == "mobilenet":
        state, h5 = os.path.join(cache, "mobilenet.pt"), os.path.join(cache, "mobilenet.h5")
        if not os.path.exists(h5):
            subprocess.run([sys.executable, os.path.join(ROOT, "tests/e2e/engine_ref.py"), "make",
                            "mobilenet", os.path.join(cache, "mobilenet")], check=True)
        return state, h5
    state = os.path.join(cache, "Colorize%s_gen.pth" % kind.capitalize())
    h5 = os.path.join(cache, kind + ".h5")
    if not os.path.exists(state):
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/e2e/engine_ref.py"), "make", kind,
                        state, "--calib-size", "96", "--steps", "4"], check=True)
    if not os.path.exists(h5):
        subprocess.run([os.path.join(ROOT, "tools/convert-deoldify"), state, h5], check=True)
    return state, h5


def torch_fps(kind, state, size, frames, threads, batch):
    """PyTorch's frames/s on batches of `batch` frames, `frames` batches timed."""
    import torch
    import engine_ref
    import frnet
    torch.set_num_threads(threads)
    m = engine_ref.load(kind, state)
    x = engine_ref.inputs(m, batch, size, 1)
    flops = frnet.count_flops(m, size)
    with torch.no_grad():
        m(x)  # warm-up (oneDNN primitive creation)
        t = time.time()
        for _ in range(frames):
            m(x)
        dt = time.time() - t
    del m
    return frames * batch / dt, flops


def engine_stats(h5, size, frames, threads, batch):
    r = subprocess.run([os.environ["FR_BIN"], "engine_forward", "--model", h5, "--size", str(size),
                        "--frames", str(batch), "--batch", str(batch), "--repeat", str(frames),
                        "--threads", str(threads), "--stats"], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit("engine failed: " + r.stderr.strip())
    return json.loads(r.stdout)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--conv-bench")
    p.add_argument("--quick", action="store_true", help="1 frame each, skip the conv shapes")
    p.add_argument("--frames", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--models", default="default,video,artistic")
    p.add_argument("--batches", default="1,8", help="batch sizes, each timed for --frames batches")
    p.add_argument("--artistic-rf", type=int, default=35)
    p.add_argument("--artistic-batches", help="batch sizes for the artistic model (default: --batches)")
    a = p.parse_args()
    cache = os.environ.get("FR_BENCH_CACHE", "/tmp/fr-bench-models")
    frames = 1 if a.quick else a.frames
    print("machine: %d cores, load average %s; threads %d; ONEDNN_MAX_CPU_ISA=%s" % (
        os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]), a.threads,
        os.environ.get("ONEDNN_MAX_CPU_ISA", "<unset>")))
    peak_env, kern_env = sgemm_peak(a.threads, native=False)
    peak_nat, kern_nat = sgemm_peak(a.threads, native=True)
    print("sgemm peak (numpy/OpenBLAS 4096^2, %d threads): %.0f GFLOP/s with OPENBLAS_CORETYPE=%s "
          "(kernel %s); %.0f GFLOP/s with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (kernel %s)" % (
              a.threads, peak_env, os.environ.get("OPENBLAS_CORETYPE", "<unset>"), kern_env,
              peak_nat, kern_nat))
    peak = max(peak_env, peak_nat)
    print("the engine runs its convolutions on oneDNN (its own JIT kernels, no OpenBLAS);"
          " OpenBLAS only in self-attention, with this environment's OPENBLAS_CORETYPE")
    if a.conv_bench and not a.quick:
        print("\nbackends on the video model's convolution shapes (%d threads):" % a.threads)
        sys.stdout.flush()
        subprocess.run([a.conv_bench, str(a.threads)], check=True)
    rows = []
    for kind in a.models.split(","):
        rf = a.artistic_rf if kind == "artistic" else 21
        size = rf * 16
        state, h5 = make_model(kind, cache)
        batches = a.artistic_batches if kind == "artistic" and a.artistic_batches else a.batches
        for batch in [int(b) for b in batches.split(",")]:
            e1 = engine_stats(h5, size, frames, a.threads, batch)
            t_fps, flops = torch_fps(kind, state, size, frames, a.threads, batch)
            # small runs are timed again after torch's (the better of two); long ones once
            e2 = engine_stats(h5, size, frames, a.threads, batch) if frames * batch < 8 else e1
            e = e1 if e1["fps"] >= e2["fps"] else e2
            rows.append((kind, rf, batch, e, t_fps, flops))
            print("\n%s rf %d batch %d: engine %.3f / %.3f fps (%s, oneDNN ISA %s), torch %.3f fps" % (
                kind, rf, batch, e1["fps"], e2["fps"], e["numerics"], e["isa"], t_fps))
            sys.stdout.flush()
    print("\n%-10s %3s %5s %9s %9s %9s %7s %10s %10s %8s %9s %s" % (
        "model", "rf", "batch", "GFLOP/fr", "engine/s", "torch/s", "ratio", "eng GF/s", "torch GF/s",
        "% peak", "RSS MB", "ISA"))
    for kind, rf, batch, e, t_fps, flops in rows:
        g = flops / 1e9
        print("%-10s %3d %5d %9.1f %9.3f %9.3f %6.2fx %10.1f %10.1f %7.0f%% %9.0f %s" % (
            kind, rf, batch, g, e["fps"], t_fps, e["fps"] / t_fps, g * e["fps"], g * t_fps,
            100 * g * e["fps"] / peak, e["peak_rss_mb"], e["isa"]))
    print("GFLOP/fr: the network's convolutions and attention (frnet.count_flops); % peak: engine "
          "GFLOP/s over the best sgemm above; RSS: the engine process's peak (engine_forward, "
          "model load included); ratio goal >= 1.5x")


if __name__ == "__main__":
    main()
