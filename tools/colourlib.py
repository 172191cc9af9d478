"""tools/colourlib.py: what tools/train and tools/eval-colour share: the train / held-out split
of the photos and clips that tools/fetch-training-data fetches, image and frame loading,
sRGB <-> Lab in torch, DeOldify's pre- and post-processing (PIL bilinear to a render_factor*16
square, ImageNet de-normalisation, OpenCV-YUV merge with the source's luma), the metrics
(PSNR, AuC of the ab-error CDF, colourfulness), and loading an engine .h5 model back into
frnet's PyTorch modules.
"""
import os
import subprocess

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageOps

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
DATA = os.path.join(ROOT, "data")

# Whole photos held out (near-duplicate pairs such as jesper / jesper_2 go out together).
HOLDOUT_PHOTOS = [
    "kphotoalbum__anne_helene.jpg", "kphotoalbum__jesper.jpg", "kphotoalbum__jesper_2.jpg",
    "kphotoalbum__skagen.jpg", "kphotoalbum__skagen_2.jpg", "kphotoalbum__spiff.jpg",
    "kphotoalbum__spiff_2.jpg", "lomiri__aitzgorri_by_Aitzol_Berasategi.jpg", "mate__Dune.jpg",
    "mate__YellowFlower.jpg", "opencv__home.jpg", "opencv__fruits.jpg", "opencv__messi5.jpg",
    "plasma__Path.jpg", "plasma__Kite.jpg", "skimage__astronaut.png", "skimage__coffee.png",
    "sklearn__china.jpg", "libjxl__u76c0g_bliznaca.png",
]
# Whole clips held out (g1 and g2 film the same scene, so both go out).
HOLDOUT_CLIPS = {"cityCC0.mpg": 6, "mecavideo__g1.avi": 3, "mecavideo__g2.avi": 3}
# A validation split, also never trained on: tools/train uses it only to pick the exported
# weights (EMA or last) and the chroma gain. The evaluation set above stays untouched.
VAL_PHOTOS = [
    "kphotoalbum__donna.jpg", "kphotoalbum__donna_2.jpg", "kphotoalbum__grand_canyon_2.jpg",
    "lomiri__picosdeeuropa_by_Aitzol_Berasategi.jpg", "mate__GreenMeadow.jpg",
    "opencv__building.jpg", "plasma__BytheWater.jpg", "skimage__chelsea.png",
    "sklearn__flower.jpg", "libjxl__tmshre_riaphotographs.png",
]
VAL_CLIPS = {"realshort.mp4": 4}
# Training clips and how many evenly spaced frames each gives.
TRAIN_CLIPS = {"vtest.avi": 24, "tree.avi": 8, "cup.mp4": 12, "box.mp4": 16,
               "cockatoo.mp4": 24, "diver.mov": 24, "motion.mov": 10,
               "mecavideo__balle1-vp9.avi": 8, "mecavideo__balle-jbart.mp4": 8}
# Not used: the whiteboard physics clips (near-identical frames) and retroMars2018 (synthetic).

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# ---------------------------------------------------------------- loading
def train_photos(data=DATA):
    names = sorted(os.listdir(os.path.join(data, "photos")))
    return [n for n in names if n not in HOLDOUT_PHOTOS and n not in VAL_PHOTOS]


def image_set(data, photos, clips, max_side):
    """[(kind, name, uint8 HxWx3)] for whole photos and evenly spaced clip frames."""
    items = []
    for n in photos:
        items.append(("photo", n, load_photo(os.path.join(data, "photos", n), max_side)))
    for clip, k in clips.items():
        for j, f in enumerate(clip_frames(os.path.join(data, "clips", clip), k, max_side)):
            items.append(("frame", "%s#%d" % (clip, j), f))
    return items


def load_photo(path, max_side=None):
    """uint8 HxWx3, EXIF orientation applied, downscaled (PIL, antialiased) to max_side."""
    im = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    if max_side and max(im.size) > max_side:
        s = max_side / max(im.size)
        im = im.resize((max(1, round(im.size[0] * s)), max(1, round(im.size[1] * s))),
                       Image.BICUBIC, reducing_gap=3.0)
    return np.asarray(im, dtype=np.uint8)


def clip_frames(path, n, max_side=480):
    """n evenly spaced frames (uint8 HxWx3) of a clip, scaled so the longer side <= max_side."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                            "-show_entries", "stream=width,height,nb_read_packets", "-of",
                            "csv=p=0", path], capture_output=True, text=True, check=True)
    w, h, total = [int(v) for v in probe.stdout.strip().split(",")[:3]]
    s = min(1.0, max_side / max(w, h))
    ow, oh = max(2, int(w * s) // 2 * 2), max(2, int(h * s) // 2 * 2)
    picks = sorted({int((k + 0.5) * total / n) for k in range(n)})
    sel = "+".join("eq(n\\,%d)" % p for p in picks)
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf",
                          "select='%s',scale=%d:%d:flags=area" % (sel, ow, oh), "-vsync", "0",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    frames = np.frombuffer(out, np.uint8).reshape(-1, oh, ow, 3)
    return [f.copy() for f in frames]


# ---------------------------------------------------------------- colour spaces (torch)
_RGB2XYZ = torch.tensor([[0.412453, 0.357580, 0.180423],
                         [0.212671, 0.715160, 0.072169],
                         [0.019334, 0.119193, 0.950227]])
_WHITE = torch.tensor([0.950456, 1.0, 1.088754])


def srgb_to_lab(rgb):
    """[N,3,H,W] sRGB in [0,1] -> Lab (L 0..100, a and b about -110..110), differentiable."""
    rgb = rgb.clamp(0, 1)
    lin = torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055).clamp(min=1e-8) ** 2.4, rgb / 12.92)
    xyz = torch.einsum("ij,njhw->nihw", _RGB2XYZ.to(rgb), lin) / _WHITE.to(rgb).view(1, 3, 1, 1)
    d = 6.0 / 29.0
    f = torch.where(xyz > d ** 3, xyz.clamp(min=1e-8) ** (1.0 / 3.0), xyz / (3 * d * d) + 4.0 / 29)
    L = 116 * f[:, 1:2] - 16
    a = 500 * (f[:, 0:1] - f[:, 1:2])
    b = 200 * (f[:, 1:2] - f[:, 2:3])
    return torch.cat([L, a, b], 1)


def luma(rgb):
    """ITU-R 601 luma of [N,3,H,W] (what PIL's 'L' and OpenCV's YUV use)."""
    return 0.299 * rgb[:, 0:1] + 0.587 * rgb[:, 1:2] + 0.114 * rgb[:, 2:3]


def merge_chroma(model_rgb, true_y):
    """The pipeline's merge in float: keep the source's luma, take the model's chroma.
    OpenCV's YUV is linear in RGB, so that is a per-pixel shift of all three channels."""
    c = model_rgb.clamp(0, 1)
    return (c + (true_y - luma(c))).clamp(0, 1)


# ---------------------------------------------------------------- DeOldify pre/post (numpy)
def to_gray_uint8(rgb):
    """PIL's convert('L'): ITU-R 601-2 luma, rounded."""
    return np.asarray(Image.fromarray(rgb).convert("L"))


def model_input(gray_u8, render_factor, settings):
    """Gray source -> [1,3,S,S] network input (PIL bilinear to S = render_factor*16)."""
    s = render_factor * 16
    g = np.asarray(Image.fromarray(gray_u8).resize((s, s), Image.BILINEAR), np.float32) / 255
    x = torch.from_numpy(g)[None, None].repeat(1, 3, 1, 1)
    m = torch.tensor(settings["input_mean"], dtype=torch.float32).view(1, 3, 1, 1)
    sd = torch.tensor(settings["input_std"], dtype=torch.float32).view(1, 3, 1, 1)
    return (x - m) / sd


def _rgb2yuv_u8(rgb):
    """OpenCV's COLOR_RGB2YUV for uint8 (float math, rounded, saturated)."""
    r, g, b = [rgb[..., k].astype(np.float64) for k in range(3)]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = 0.492 * (b - y) + 128
    v = 0.877 * (r - y) + 128
    return np.clip(np.rint(np.stack([y, u, v], -1)), 0, 255).astype(np.uint8)


def _yuv2rgb_u8(yuv):
    y, u, v = [yuv[..., k].astype(np.float64) for k in range(3)]
    r = y + 1.140 * (v - 128)
    g = y - 0.395 * (u - 128) - 0.581 * (v - 128)
    b = y + 2.032 * (u - 128)
    return np.clip(np.rint(np.stack([r, g, b], -1)), 0, 255).astype(np.uint8)


def predict(model, rgb_u8, render_factor=21):
    """The network's raw (normalised) output for a colour image turned gray: [3,S,S]."""
    x = model_input(to_gray_uint8(rgb_u8), render_factor, model.settings)
    with torch.no_grad():
        return model(x.to(next(model.parameters()).device)).cpu()[0]


def postprocess(y, gray_u8, output_mean, output_std):
    """DeOldify's post-processing of raw output y [3,S,S]: de-normalise, uint8, bilinear to the
    source size, OpenCV YUV with the source's luma and the model's chroma."""
    m = torch.tensor(output_mean, dtype=torch.float32).view(3, 1, 1)
    s = torch.tensor(output_std, dtype=torch.float32).view(3, 1, 1)
    out = ((y * s + m).clamp(0, 1) * 255).permute(1, 2, 0).numpy().astype(np.uint8)
    h, w = gray_u8.shape
    out = np.asarray(Image.fromarray(out).resize((w, h), Image.BILINEAR))
    yuv = _rgb2yuv_u8(out)
    yuv[..., 0] = _rgb2yuv_u8(np.repeat(gray_u8[..., None], 3, -1))[..., 0]
    return _yuv2rgb_u8(yuv)


def colourise(model, rgb_u8, render_factor=21):
    """DeOldify's filters.py path on one colour image turned gray: returns uint8 RGB of the
    source's size, with the source's own luma and the model's chroma."""
    y = predict(model, rgb_u8, render_factor)
    return postprocess(y, to_gray_uint8(rgb_u8), model.settings["output_mean"],
                       model.settings["output_std"])


def chroma_gain(output_mean, output_std, k, gray=0.5):
    """output_mean/std that scale the model's chroma by k exactly: rgb' = k rgb + (1-k) gray.
    The pipeline keeps the source's luma, so only the chroma (rgb minus its luma) matters, and
    a constant gray has none."""
    mean = tuple(float(k * m + (1 - k) * gray) for m in output_mean)
    std = tuple(float(k * s) for s in output_std)
    return mean, std


# ---------------------------------------------------------------- metrics
def psnr(a_u8, b_u8):
    mse = np.mean((a_u8.astype(np.float64) - b_u8.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0 ** 2 / max(mse, 1e-12)))


def lab_np(rgb_u8):
    x = torch.from_numpy(rgb_u8.astype(np.float32) / 255).permute(2, 0, 1)[None]
    return srgb_to_lab(x.double())[0].numpy()


def ab_error_cdf(pred_u8, true_u8, thresholds=np.arange(0, 151)):
    """Fraction of pixels whose Lab ab error (Euclidean) is <= t, for each threshold t."""
    e = np.sqrt(((lab_np(pred_u8)[1:] - lab_np(true_u8)[1:]) ** 2).sum(0)).ravel()
    e.sort()
    return np.searchsorted(e, thresholds, side="right") / e.size


def auc(cdf):
    """Area under the ab-error CDF over thresholds 0..150, normalised to 0..1 (Zhang 2016)."""
    return float(np.trapz(cdf, dx=1.0) / (len(cdf) - 1))


def colourfulness(rgb_u8):
    """Hasler and Suesstrunk (2003): sigma_rgyb + 0.3 mu_rgyb, on 0..255 RGB."""
    r, g, b = [rgb_u8[..., k].astype(np.float64) for k in range(3)]
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))


# ---------------------------------------------------------------- .h5 -> PyTorch
def load_h5(path, device="cpu"):
    """Builds frnet's DynamicUnet from an engine model file and puts the file's (folded)
    tensors back: spectral-norm convs get weight_orig = W and u, v with u.(W v) = 1; weight-norm
    convs g = |W|, v = W; batch norms mean 0, var 1 - eps, weight = scale, bias = shift."""
    import h5py
    import frnet
    with h5py.File(path, "r") as f:
        at = {k: f.attrs[k] for k in f.attrs}
        tensors = {k: torch.from_numpy(np.asarray(f["tensors"][k])) for k in f["tensors"]}
    dec = lambda v: v.decode() if isinstance(v, bytes) else str(v)  # noqa: E731
    if dec(at["format"]) != frnet.FORMAT_NAME:
        raise ValueError("%s: not a filmrestore model" % path)
    if dec(at["encoder"]) != "mobilenetv2":
        raise ValueError("%s: encoder %s is not handled here" % (path, dec(at["encoder"])))
    middle_nf = tensors["dec.middle.0.conv.weight"].shape[0]
    model = frnet.build_mobilenet_unet(
        decoder=dec(at["decoder"]), nf=int(at["decoder_nf"]), nf_factor=float(at["nf_factor"]),
        middle_nf=int(middle_nf), self_attention=int(at["self_attention_block"]) >= 0,
        y_range=tuple(at["y_range"]), input_mean=tuple(at["input_mean"]),
        input_std=tuple(at["input_std"]), output_mean=tuple(at["output_mean"]),
        output_std=tuple(at["output_std"]), render_factor=int(at["render_factor"]),
        name=dec(at["name"]))
    sd = model.state_dict()
    new = {}
    eps = {n + ".": m.eps for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)}
    used = set()
    for name, kind, p in model.tensor_map():
        if kind == "conv":
            w = tensors[name + ".weight"].double()
            used.add(name + ".weight")
            if p + "weight_orig" in sd:
                shape = sd[p + "weight_orig"].shape
                w = w.reshape(shape)
                wm = w.reshape(w.shape[0], -1)
                v = torch.ones(wm.shape[1], dtype=torch.float64) / wm.shape[1] ** 0.5
                wv = wm @ v
                if float(wv.norm()) < 1e-12:
                    v = torch.randn(wm.shape[1], dtype=torch.float64, generator=torch.Generator().manual_seed(0))
                    wv = wm @ v
                u = wv / wv.dot(wv)
                new[p + "weight_orig"], new[p + "weight_u"], new[p + "weight_v"] = w, u, v
            elif p + "weight_g" in sd:
                g = w.reshape(w.shape[0], -1).norm(dim=1).reshape(sd[p + "weight_g"].shape)
                new[p + "weight_g"], new[p + "weight_v"] = g, w.reshape(sd[p + "weight_v"].shape)
            else:
                new[p + "weight"] = w.reshape(sd[p + "weight"].shape)
        elif kind == "bias":
            new[p + "bias"] = tensors[name]
            used.add(name)
        elif kind == "gamma":
            new[p + "gamma"] = tensors[name].reshape(sd[p + "gamma"].shape)
            used.add(name)
        else:
            new[p + "weight"] = tensors[name + ".scale"]
            new[p + "bias"] = tensors[name + ".shift"]
            new[p + "running_mean"] = torch.zeros_like(tensors[name + ".scale"])
            new[p + "running_var"] = torch.full_like(tensors[name + ".scale"], 1.0 - eps[p])
            used.update([name + ".scale", name + ".shift"])
    unused = sorted(set(tensors) - used)
    if unused:
        raise ValueError("%s: tensors the model does not use: %s" % (path, unused[:5]))
    missing = [k for k in sd if k not in new and not k.endswith("num_batches_tracked")]
    if missing:
        raise ValueError("%s: no tensor for %s" % (path, missing[:5]))
    model.load_state_dict({k: new[k].to(sd[k].dtype) for k in new}, strict=False)
    model.file_attrs = at
    return model.to(device).eval()
