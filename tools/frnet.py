"""frnet.py: the PyTorch reference of filmrestore's generator networks, and the exporter
to the engine's HDF5 model format.

It is the test oracle of the C engine (nodes/engine/) and the model definition that
tools/train imports. Written from the layer-by-layer description in
docs/models.md (and DeOldify's public source, read, not copied): the module nesting of the
DeOldify U-Nets reproduces DeOldify's state_dict keys ("layers.0.4.0.conv1.weight",
"layers.4.conv1.0.weight_orig", ...), so a DeOldify checkpoint loads into these modules
and a random model of ours saves as a checkpoint in DeOldify's format.

Public API (kept stable; tools/train and tools/convert-deoldify depend on it)
-------------------------------------------------------------------------------
build_mobilenet_unet(**settings) -> DynamicUnet
    The embedded default model: a Keras-style MobileNetV2 encoder (alpha 1.0, BN eps 1e-3,
    ReLU6, stride-2 convs padded (0,1,0,1)), skip taps 16@/2, 24@/4, 32@/8, 96@/16 and
    1280@/32, and a light DeOldify decoder. Settings (all optional):
      decoder='wide'         'wide' (one conv per block) or 'deep' (two)
      nf=256                 decoder width for 'wide' (the last block uses nf//2)
      nf_factor=1.0          width factor for 'deep'
      middle_nf=256          the middle: conv1x1 1280->middle_nf, conv3x3 middle_nf->middle_nf
      self_attention=True    SAGAN self-attention in block len(taps)-3 (the /8 block)
      y_range=(-3.0, 3.0)    SigmoidRange of the output
      input_mean=(0,0,0), input_std=(1,1,1)    the encoder sees RGB/255 (nsfwjs)
      output_mean/std=ImageNet                 the output is de-normalised with these
      render_factor=21       default render factor recorded in the file
      name='filmrestore-mobilenetv2'
    model.encoder is the MobileNetV2 (an nn.Sequential); load_keras_mobilenet() fills it.
build_deoldify(kind) -> DynamicUnet
    kind 'artistic' (DynamicUnetDeep, ResNet-34, nf_factor 1.5), 'stable' or 'video'
    (DynamicUnetWide, ResNet-101, nf_factor 2). Random weights.
load_keras_mobilenet(model_or_encoder, weights) -> list of unused keys
    weights maps Keras names "Conv1/kernel", "bn_Conv1/gamma", "block_3_depthwise/
    depthwise_kernel", ... to numpy arrays in Keras layout; transposes into the encoder.
export_h5(model, path, name=None, render_factor=None)
    Writes the engine's HDF5 model file (layout below) from a module built here: spectral
    and weight norm folded into plain weights, batch norms as per-channel scale/shift.
export_state_dict(sd, model, path, name=None, render_factor=None)
    The same from a bare state_dict (a DeOldify checkpoint) in the model's key layout.
calibrate(model, steps=8, size=128)
    For random-weight tests: randomises BN affines and self-attention gammas, runs train-mode
    passes so spectral-norm vectors and BN running statistics settle, then returns to eval.
count_flops(model, size) -> float
    Multiply-adds x2 of convolutions and attention matmuls for one size x size frame.
weights_sha256(tensors) -> hex    the checksum the engine verifies (definition below).
skip_init()                       context manager: build modules without random init (fast,
                                  for loading weights right after)

HDF5 model format, version 1
----------------------------
Root attributes: format = "filmrestore-model", format_version = 1, name, encoder
("resnet34" | "resnet101" | "mobilenetv2"), decoder ("deep" | "wide"), nf_factor,
decoder_nf, n_taps, self_attention_block (-1 for none), blur, last_cross, y_range[2],
input_mean[3], input_std[3], output_mean[3], output_std[3], render_factor, n_classes,
n_tensors, weights_sha256. Group /tensors holds one float32 dataset per tensor (see
tensor_names(): "enc.*", "dec.*"); convolution weights are OIHW (PyTorch's order),
depthwise ones [C,1,kh,kw], self-attention projections [out,in,1,1], batch norms
"<bn>.scale" and "<bn>.shift" (y = x*scale + shift, eps already applied).
weights_sha256 = sha256 over the tensors in byte order of their names, each contributing
name bytes, one NUL byte, ndim as uint32 LE, each dim as uint64 LE, then its float32 LE data.
"""
import contextlib
import hashlib
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm, weight_norm

FORMAT_NAME = "filmrestore-model"
FORMAT_VERSION = 1
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

__all__ = ["build_mobilenet_unet", "build_deoldify", "load_keras_mobilenet", "export_h5",
           "export_state_dict", "calibrate", "count_flops", "weights_sha256", "DynamicUnet",
           "IMAGENET_MEAN", "IMAGENET_STD", "DEOLDIFY_CONFIGS"]

DEOLDIFY_CONFIGS = {
    "artistic": dict(encoder="resnet34", decoder="deep", nf_factor=1.5, render_factor=35,
                     name="deoldify-artistic"),
    "stable": dict(encoder="resnet101", decoder="wide", nf_factor=2, render_factor=35,
                   name="deoldify-stable"),
    "video": dict(encoder="resnet101", decoder="wide", nf_factor=2, render_factor=21,
                  name="deoldify-video"),
}


@contextlib.contextmanager
def skip_init():
    """Builds modules without their random initialisation (weights are loaded next)."""
    names = ("kaiming_normal_", "kaiming_uniform_", "uniform_", "normal_")
    saved = {n: getattr(nn.init, n) for n in names}
    for n in names:
        setattr(nn.init, n, lambda t, *a, **k: t)
    try:
        yield
    finally:
        for n, f in saved.items():
            setattr(nn.init, n, f)


# ---------------------------------------------------------------- decoder building blocks
def conv_layer(ni, nf, ks=3, spectral=True, bn=True, use_activ=True, self_attention=False,
               bias=None):
    """conv -> [ReLU] -> [BatchNorm] -> [self-attention], DeOldify's custom conv layer.

    The conv has a bias only without batch norm; the norm follows the activation."""
    if bias is None:
        bias = not bn
    conv = nn.Conv2d(ni, nf, ks, padding=(ks - 1) // 2, bias=bias)
    nn.init.kaiming_normal_(conv.weight)
    if bias:
        nn.init.zeros_(conv.bias)
    layers = [spectral_norm(conv) if spectral else conv]
    if use_activ:
        layers.append(nn.ReLU(inplace=True))
    if bn:
        layers.append(nn.BatchNorm2d(nf))
    if self_attention:
        layers.append(SelfAttention(nf))
    return nn.Sequential(*layers)


class SelfAttention(nn.Module):
    """SAGAN self-attention over all positions: out = gamma * value . softmax_i(q_i . k_j) + x."""

    def __init__(self, n):
        super().__init__()
        self.query = self._proj(n, n // 8)
        self.key = self._proj(n, n // 8)
        self.value = self._proj(n, n)
        self.gamma = nn.Parameter(torch.tensor([0.0]))

    @staticmethod
    def _proj(ni, no):
        conv = nn.Conv1d(ni, no, 1, bias=False)
        nn.init.kaiming_normal_(conv.weight)
        return spectral_norm(conv)

    def forward(self, x):
        shape = x.shape
        x = x.flatten(2)
        f, g, h = self.query(x), self.key(x), self.value(x)
        beta = F.softmax(torch.bmm(f.transpose(1, 2), g), dim=1)  # softmax over query index i
        return (self.gamma * torch.bmm(h, beta) + x).view(shape)


class ShuffleUp(nn.Module):
    """conv1x1 (ni -> 4nf) -> BN -> ReLU -> PixelShuffle(2) -> replication pad (1,0,1,0) -> 2x2
    average (stride 1): DeOldify's CustomPixelShuffle_ICNR with blur."""

    def __init__(self, ni, nf):
        super().__init__()
        self.conv = conv_layer(ni, nf * 4, ks=1, use_activ=False)
        self.shuf = nn.PixelShuffle(2)
        self.pad = nn.ReplicationPad2d((1, 0, 1, 0))
        self.blur = nn.AvgPool2d(2, stride=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.blur(self.pad(self.shuf(self.relu(self.conv(x)))))


class FinalShuffle(nn.Module):
    """fastai's PixelShuffle_ICNR as DeOldify calls it last: weight-normed conv1x1 with bias,
    ReLU, shuffle, and the blur (always applied in that fastai version)."""

    def __init__(self, ni):
        super().__init__()
        conv = nn.Conv2d(ni, ni * 4, 1, bias=True)
        nn.init.kaiming_normal_(conv.weight)
        nn.init.zeros_(conv.bias)
        self.conv = nn.Sequential(weight_norm(conv))
        self.shuf = nn.PixelShuffle(2)
        self.pad = nn.ReplicationPad2d((1, 0, 1, 0))
        self.blur = nn.AvgPool2d(2, stride=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.blur(self.pad(self.shuf(self.relu(self.conv(x)))))


class UnetBlockDeep(nn.Module):
    def __init__(self, up_in_c, x_in_c, final_div, self_attention, nf_factor):
        super().__init__()
        self.shuf = ShuffleUp(up_in_c, up_in_c // 2)
        self.bn = nn.BatchNorm2d(x_in_c)
        ni = up_in_c // 2 + x_in_c
        nf = int((ni if final_div else ni // 2) * nf_factor)
        self.conv1 = conv_layer(ni, nf)
        self.conv2 = conv_layer(nf, nf, self_attention=self_attention)
        self.relu = nn.ReLU()
        self.n_out = nf

    def forward(self, up_in, s):
        return self.conv2(self.conv1(_merge(self.shuf(up_in), self.bn(s), self.relu)))


class UnetBlockWide(nn.Module):
    def __init__(self, up_in_c, x_in_c, n_out, self_attention):
        super().__init__()
        up_out = x_out = n_out // 2
        self.shuf = ShuffleUp(up_in_c, up_out)
        self.bn = nn.BatchNorm2d(x_in_c)
        self.conv = conv_layer(up_out + x_in_c, x_out, self_attention=self_attention)
        self.relu = nn.ReLU()
        self.n_out = x_out

    def forward(self, up_in, s):
        return self.conv(_merge(self.shuf(up_in), self.bn(s), self.relu))


def _merge(up, skip, relu):
    if up.shape[-2:] != skip.shape[-2:]:
        up = F.interpolate(up, skip.shape[-2:], mode="nearest")
    return relu(torch.cat([up, skip], dim=1))


class ResBlock(nn.Module):
    """fastai's res_block with Spectral norm: two conv(bias)+ReLU layers, then x + input.
    Kept under `layers` so its keys read like DeOldify's SequentialEx."""

    def __init__(self, nf):
        super().__init__()
        self.layers = nn.ModuleList([conv_layer(nf, nf, bn=False), conv_layer(nf, nf, bn=False),
                                     nn.Identity()])

    def forward(self, x):
        return self.layers[1](self.layers[0](x)) + x


class SigmoidRange(nn.Module):
    def __init__(self, lo, hi):
        super().__init__()
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return torch.sigmoid(x) * (self.hi - self.lo) + self.lo


class Cat(nn.Module):
    """Placeholder for DeOldify's dense MergeLayer (the concat happens in DynamicUnet.forward)."""

    def forward(self, x):
        return x


# ---------------------------------------------------------------- encoders
class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, ni, nf, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(ni, nf, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(nf)
        self.conv2 = nn.Conv2d(nf, nf, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(nf)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _downsample(ni, nf, stride)

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(y)) + idt)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, ni, width, stride):
        super().__init__()
        nf = width * 4
        self.conv1 = nn.Conv2d(ni, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, nf, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(nf)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _downsample(ni, nf, stride)

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        return self.relu(self.bn3(self.conv3(y)) + idt)


def _downsample(ni, nf, stride):
    if stride == 1 and ni == nf:
        return None
    return nn.Sequential(nn.Conv2d(ni, nf, 1, stride, bias=False), nn.BatchNorm2d(nf))


RESNET_LAYERS = {"resnet34": (BasicBlock, (3, 4, 6, 3)), "resnet101": (Bottleneck, (3, 4, 23, 3))}


def resnet_encoder(kind):
    """torchvision's ResNet body (children 0..7: conv1, bn1, relu, maxpool, layer1..4)."""
    block, counts = RESNET_LAYERS[kind]
    mods = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1)]
    ni = 64
    for i, (n, width) in enumerate(zip(counts, (64, 128, 256, 512))):
        blocks = []
        for j in range(n):
            blocks.append(block(ni, width, 2 if (j == 0 and i > 0) else 1))
            ni = width * block.expansion
        mods.append(nn.Sequential(*blocks))
    for m in nn.Sequential(*mods).modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return nn.Sequential(*mods)


class ConvBN(nn.Module):
    """Keras-style conv (no bias) + BN (eps 1e-3) [+ ReLU6]; stride 2 pads (0,1,0,1)."""

    def __init__(self, ni, nf, ks, stride=1, groups=1, act=True):
        super().__init__()
        self.stride = stride
        self.conv = nn.Conv2d(ni, nf, ks, stride, padding=0 if stride == 2 else (ks - 1) // 2,
                              groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(nf, eps=1e-3)
        self.act = act

    def forward(self, x):
        if self.stride == 2:
            x = F.pad(x, (0, 1, 0, 1))
        x = self.bn(self.conv(x))
        return F.relu6(x) if self.act else x


class InvertedResidual(nn.Module):
    def __init__(self, ni, nf, stride, t):
        super().__init__()
        hid = ni * t
        self.expand = ConvBN(ni, hid, 1) if t != 1 else None
        self.dw = ConvBN(hid, hid, 3, stride, groups=hid)
        self.project = ConvBN(hid, nf, 1, act=False)
        self.residual = stride == 1 and ni == nf

    def forward(self, x):
        y = x if self.expand is None else self.expand(x)
        y = self.project(self.dw(y))
        return x + y if self.residual else y


# (expansion t, channels, repeats, first stride), Keras MobileNetV2 alpha 1.0
MOBILENET_CFG = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                 (6, 160, 3, 2), (6, 320, 1, 1))


def mobilenet_v2_encoder():
    """children: 0 stem (Conv1), 1..17 blocks 0..16 (Keras expanded_conv, block_1..16), 18 head
    (Conv_1 to 1280, ReLU6)."""
    mods = [ConvBN(3, 32, 3, 2)]
    ni = 32
    for t, c, n, s in MOBILENET_CFG:
        for j in range(n):
            mods.append(InvertedResidual(ni, c, s if j == 0 else 1, t))
            ni = c
    mods.append(ConvBN(ni, 1280, 1))
    enc = nn.Sequential(*mods)
    for m in enc.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
    return enc


def _keras_mobilenet_names():
    """Keras layer name -> (child index, attribute path) within mobilenet_v2_encoder()."""
    names = {"Conv1": (0, "conv"), "bn_Conv1": (0, "bn"), "Conv_1": (18, "conv"),
             "Conv_1_bn": (18, "bn")}
    for b in range(17):
        pre = "expanded_conv" if b == 0 else "block_%d" % b
        for part in (("expand",) if b else ()) + ("depthwise", "project"):
            attr = "dw" if part == "depthwise" else part
            names["%s_%s" % (pre, part)] = (b + 1, attr + ".conv")
            names["%s_%s_BN" % (pre, part)] = (b + 1, attr + ".bn")
    return names


def load_keras_mobilenet(model, weights):
    """Copies Keras MobileNetV2 weights ("layer/param" -> ndarray) into the encoder of model
    (a DynamicUnet or the encoder itself). Returns the keys it did not use."""
    enc = model.encoder if isinstance(model, DynamicUnet) else model
    used = set()
    for kname, (idx, path) in _keras_mobilenet_names().items():
        mod = enc[idx]
        for p in path.split("."):
            mod = getattr(mod, p)
        with torch.no_grad():
            if isinstance(mod, nn.Conv2d):
                key = kname + ("/depthwise_kernel" if "depthwise" in kname else "/kernel")
                w = np.asarray(weights[key], dtype=np.float32)
                if "depthwise" in kname:  # [kh, kw, C, 1] -> [C, 1, kh, kw]
                    w = w.transpose(2, 3, 0, 1).reshape(mod.weight.shape)
                else:  # [kh, kw, in, out] -> [out, in, kh, kw]
                    w = w.transpose(3, 2, 0, 1)
                mod.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
                used.add(key)
            else:
                for kp, tp in (("gamma", "weight"), ("beta", "bias"),
                               ("moving_mean", "running_mean"),
                               ("moving_variance", "running_var")):
                    key = "%s/%s" % (kname, kp)
                    getattr(mod, tp).copy_(torch.from_numpy(
                        np.asarray(weights[key], dtype=np.float32)))
                    used.add(key)
    return sorted(set(weights) - used)


# ---------------------------------------------------------------- the U-Net
def _tap_indices(encoder, size=256):
    """Children of the encoder after which the spatial size changes (DeOldify's rule)."""
    sizes, x = [], torch.zeros(1, 3, size, size)
    with torch.no_grad():
        training = encoder.training
        encoder.eval()
        for m in encoder:
            x = m(x)
            sizes.append((x.shape[1], x.shape[-1]))
        encoder.train(training)
    w = [s[1] for s in sizes]
    idx = [i for i in range(len(w) - 1) if w[i] != w[i + 1]]
    if w[0] != w[1]:
        idx = [0] + idx
    return idx, sizes


class DynamicUnet(nn.Module):
    """DeOldify's DynamicUnetDeep / DynamicUnetWide over any nn.Sequential encoder.

    layers: 0 encoder, 1 BN, 2 ReLU, 3 middle, 4.. U-Net blocks (deepest first), then the
    final shuffle, the dense merge with the input, the residual block, the 1x1 output conv
    and SigmoidRange: DeOldify's numbering."""

    def __init__(self, encoder, encoder_kind, decoder="wide", nf_factor=1.0, nf=None,
                 middle=None, self_attention=True, y_range=(-3.0, 3.0), n_classes=3,
                 input_mean=IMAGENET_MEAN, input_std=IMAGENET_STD, output_mean=None,
                 output_std=None, render_factor=21, name="model"):
        super().__init__()
        taps, sizes = _tap_indices(encoder)
        self.taps = list(reversed(taps))
        ni = sizes[-1][0]
        if middle is None:  # DeOldify: ni -> 2ni -> ni, 3x3
            middle = [(ni * 2, 3), (ni, 3)]
        mids, c = [], ni
        for nf_m, ks in middle:
            mids.append(conv_layer(c, nf_m, ks=ks))
            c = nf_m
        layers = [encoder, nn.BatchNorm2d(ni), nn.ReLU(), nn.Sequential(*mids)]
        if decoder == "wide" and nf is None:
            nf = int(512 * nf_factor)
        sa_block = len(self.taps) - 3 if self_attention else -1
        for i, idx in enumerate(self.taps):
            final = i == len(self.taps) - 1
            x_in_c = sizes[idx][0]
            if decoder == "deep":
                blk = UnetBlockDeep(c, x_in_c, not final, i == sa_block, nf_factor)
            else:
                blk = UnetBlockWide(c, x_in_c, nf if not final else nf // 2, i == sa_block)
            layers.append(blk)
            c = blk.n_out
        layers.append(FinalShuffle(c))
        layers.append(Cat())
        c += 3
        layers.append(ResBlock(c))
        layers.append(conv_layer(c, n_classes, ks=1, bn=False, use_activ=False))
        layers.append(SigmoidRange(*y_range))
        self.layers = nn.ModuleList(layers)
        self.settings = dict(
            encoder=encoder_kind, decoder=decoder, nf_factor=float(nf_factor),
            decoder_nf=int(nf or 0), n_taps=len(self.taps), self_attention_block=sa_block,
            blur=1, last_cross=1, y_range=tuple(float(v) for v in y_range),
            input_mean=tuple(input_mean), input_std=tuple(input_std),
            output_mean=tuple(output_mean or input_mean), output_std=tuple(output_std or input_std),
            render_factor=int(render_factor), n_classes=n_classes, name=name)
        self.eval()

    @property
    def encoder(self):
        return self.layers[0]

    def forward(self, x):
        inp, stored = x, {}
        for i, m in enumerate(self.encoder):
            x = m(x)
            if i in self.taps:
                stored[i] = x
        x = self.layers[3](self.layers[2](self.layers[1](x)))
        nb = len(self.taps)
        for k, idx in enumerate(self.taps):
            x = self.layers[4 + k](x, stored[idx])
        x = self.layers[4 + nb](x)
        x = torch.cat([x, inp], dim=1)
        x = self.layers[6 + nb](x)
        x = self.layers[7 + nb](x)
        return self.layers[8 + nb](x)

    # ---- the engine's tensor names
    def tensor_map(self):
        """[(engine name, kind, state_dict prefix)]; kind: conv (weight with optional norm
        parametrisation), bias, bn, gamma."""
        out = []
        nb = len(self.taps)
        pre = "layers.0."
        kind = self.settings["encoder"]
        if kind.startswith("resnet"):
            out += [("enc.conv1", "conv", pre + "0."), ("enc.bn1", "bn", pre + "1.")]
            for li in range(4):
                for bi, blk in enumerate(self.encoder[4 + li]):
                    p = "%s%d.%d." % (pre, 4 + li, bi)
                    e = "enc.layer%d.%d." % (li + 1, bi)
                    n = 3 if isinstance(blk, Bottleneck) else 2
                    for k in range(1, n + 1):
                        out += [(e + "conv%d" % k, "conv", p + "conv%d." % k),
                                (e + "bn%d" % k, "bn", p + "bn%d." % k)]
                    if blk.downsample is not None:
                        out += [(e + "downsample.conv", "conv", p + "downsample.0."),
                                (e + "downsample.bn", "bn", p + "downsample.1.")]
        else:
            for ci, m in enumerate(self.encoder):
                e = "enc.stem." if ci == 0 else "enc.head." if ci == len(self.encoder) - 1 \
                    else "enc.block%d." % (ci - 1)
                p = "%s%d." % (pre, ci)
                if isinstance(m, ConvBN):
                    out += [(e + "conv", "conv", p + "conv."), (e + "bn", "bn", p + "bn.")]
                    continue
                for part in ("expand", "dw", "project"):
                    if getattr(m, part) is not None:
                        out += [(e + part + ".conv", "conv", p + part + ".conv."),
                                (e + part + ".bn", "bn", p + part + ".bn.")]
        out.append(("dec.bn", "bn", "layers.1."))
        for k in range(len(self.layers[3])):
            out += _conv_layer_map("dec.middle.%d" % k, "layers.3.%d." % k, self.layers[3][k])
        for k in range(nb):
            blk, p, e = self.layers[4 + k], "layers.%d." % (4 + k), "dec.block%d." % k
            out += [(e + "shuf.conv", "conv", p + "shuf.conv.0."),
                    (e + "shuf.bn", "bn", p + "shuf.conv.1."), (e + "skip_bn", "bn", p + "bn.")]
            if isinstance(blk, UnetBlockDeep):
                out += _conv_layer_map(e + "conv1", p + "conv1.", blk.conv1)
                out += _conv_layer_map(e + "conv2", p + "conv2.", blk.conv2)
            else:
                out += _conv_layer_map(e + "conv1", p + "conv.", blk.conv)
        p = "layers.%d." % (4 + nb)
        out += [("dec.final_shuf.conv", "conv", p + "conv.0."),
                ("dec.final_shuf.conv.bias", "bias", p + "conv.0.")]
        for k in range(2):
            p = "layers.%d.layers.%d.0." % (6 + nb, k)
            out += [("dec.res.%d.conv" % k, "conv", p), ("dec.res.%d.conv.bias" % k, "bias", p)]
        p = "layers.%d.0." % (7 + nb)
        out += [("dec.out.conv", "conv", p), ("dec.out.conv.bias", "bias", p)]
        return out


def _conv_layer_map(e, p, seq):
    out = [(e + ".conv", "conv", p + "0."), (e + ".bn", "bn", p + "2.")]
    if len(seq) > 3:
        for q in ("query", "key", "value"):
            out.append((e + ".sa." + q, "conv", p + "3.%s." % q))
        out.append((e + ".sa.gamma", "gamma", p + "3."))
    return out


# ---------------------------------------------------------------- builders
def build_mobilenet_unet(decoder="wide", nf=256, nf_factor=1.0, middle_nf=256,
                         self_attention=True, y_range=(-3.0, 3.0), input_mean=(0.0, 0.0, 0.0),
                         input_std=(1.0, 1.0, 1.0), output_mean=IMAGENET_MEAN,
                         output_std=IMAGENET_STD, render_factor=21,
                         name="filmrestore-mobilenetv2"):
    return DynamicUnet(mobilenet_v2_encoder(), "mobilenetv2", decoder=decoder,
                       nf_factor=nf_factor, nf=nf if decoder == "wide" else None,
                       middle=[(middle_nf, 1), (middle_nf, 3)], self_attention=self_attention,
                       y_range=y_range, input_mean=input_mean, input_std=input_std,
                       output_mean=output_mean, output_std=output_std,
                       render_factor=render_factor, name=name)


def build_deoldify(kind):
    cfg = DEOLDIFY_CONFIGS[kind]
    return DynamicUnet(resnet_encoder(cfg["encoder"]), cfg["encoder"], decoder=cfg["decoder"],
                       nf_factor=cfg["nf_factor"], render_factor=cfg["render_factor"],
                       name=cfg["name"])


# ---------------------------------------------------------------- export
def _fold_conv(sd, p):
    if p + "weight_orig" in sd:  # spectral norm, eval: W / (u . W_mat v)
        w = sd[p + "weight_orig"].double()
        u, v = sd[p + "weight_u"].double(), sd[p + "weight_v"].double()
        sigma = torch.dot(u, w.reshape(w.shape[0], -1) @ v)
        w = w / sigma
    elif p + "weight_g" in sd:  # weight norm over all dims but the first
        g, v = sd[p + "weight_g"].double(), sd[p + "weight_v"].double()
        w = g * v / v.reshape(v.shape[0], -1).norm(dim=1).reshape(g.shape)
    else:
        w = sd[p + "weight"].double()
    if w.dim() == 3:  # Conv1d (self-attention) -> 1x1 conv
        w = w.unsqueeze(-1)
    return w


def fold_tensors(sd, tmap, bn_eps):
    """Engine tensors (name -> float32 ndarray) from a state_dict in the model's key layout.
    bn_eps(prefix) gives each batch norm's eps."""
    out = {}
    for name, kind, p in tmap:
        try:
            if kind == "conv":
                out[name + ".weight"] = _fold_conv(sd, p)
            elif kind == "bias":
                out[name] = sd[p + "bias"].double()
            elif kind == "gamma":
                out[name] = sd[p + "gamma"].double().reshape(1)
            else:
                var, mean = sd[p + "running_var"].double(), sd[p + "running_mean"].double()
                scale = sd[p + "weight"].double() / torch.sqrt(var + bn_eps(p))
                out[name + ".scale"] = scale
                out[name + ".shift"] = sd[p + "bias"].double() - mean * scale
        except KeyError as e:
            raise KeyError("state_dict has no %s (needed for %s)" % (e, name)) from None
    return {k: np.ascontiguousarray(v.float().numpy()) for k, v in out.items()}


def weights_sha256(tensors):
    h = hashlib.sha256()
    for name in sorted(tensors, key=lambda s: s.encode()):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        h.update(name.encode() + b"\0")
        h.update(struct.pack("<I", a.ndim))
        h.update(struct.pack("<%dQ" % a.ndim, *a.shape))
        h.update(a.tobytes())
    return h.hexdigest()


def _bn_eps_fn(model):
    eps = {}
    for mname, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            eps[mname + "."] = m.eps
    return lambda p: eps[p]


def export_state_dict(sd, model, path, name=None, render_factor=None):
    import h5py
    tensors = fold_tensors(sd, model.tensor_map(), _bn_eps_fn(model))
    s = dict(model.settings)
    if name is not None:
        s["name"] = name
    if render_factor is not None:
        s["render_factor"] = int(render_factor)
    with h5py.File(path, "w") as f:
        f.attrs["format"] = np.bytes_(FORMAT_NAME)
        f.attrs["format_version"] = np.int32(FORMAT_VERSION)
        for k in ("name", "encoder", "decoder"):
            f.attrs[k] = np.bytes_(s[k])
        for k in ("decoder_nf", "n_taps", "self_attention_block", "blur", "last_cross",
                  "render_factor", "n_classes"):
            f.attrs[k] = np.int32(s[k])
        f.attrs["nf_factor"] = np.float64(s["nf_factor"])
        for k in ("y_range", "input_mean", "input_std", "output_mean", "output_std"):
            f.attrs[k] = np.asarray(s[k], dtype=np.float64)
        f.attrs["n_tensors"] = np.int32(len(tensors))
        f.attrs["weights_sha256"] = np.bytes_(weights_sha256(tensors))
        g = f.create_group("tensors")
        for k in sorted(tensors):
            g.create_dataset(k, data=tensors[k])
    return tensors


def export_h5(model, path, name=None, render_factor=None):
    sd = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return export_state_dict(sd, model, path, name=name, render_factor=render_factor)


# ---------------------------------------------------------------- test helpers
def smooth_images(n, size, seed=0):
    """Plausible gray photos: smooth random fields with some edges, in [0, 1], [n,1,s,s]."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 8, 8, generator=g)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = x + 0.15 * F.interpolate(torch.rand(n, 1, size // 4, size // 4, generator=g),
                                 size=(size, size), mode="nearest")
    return (x - x.amin(dim=(2, 3), keepdim=True)) / (
        x.amax(dim=(2, 3), keepdim=True) - x.amin(dim=(2, 3), keepdim=True) + 1e-6)


def normalise(gray01, mean, std):
    x = gray01.repeat(1, 3, 1, 1)
    m = torch.tensor(mean, dtype=x.dtype).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - m) / s


def calibrate(model, steps=8, size=128, batch=2, seed=0):
    """Makes a random-weight model numerically sane (see docs/models.md): random BN affines
    and attention gammas, then train-mode passes (cumulative BN statistics, 4 power
    iterations a pass), then eval."""
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(0.6 + 0.8 * torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.2 * (torch.rand(m.bias.shape, generator=g) - 0.5))
                m.reset_running_stats()
                m.momentum = None
            if isinstance(m, SelfAttention):
                m.gamma.fill_(0.5)
        # residual branches end in small BN gains, as in trained ResNets (and as
        # zero_init_residual starts them): random deep stacks stay out of the chaotic
        # regime where float32 rounding alone would exceed the tests' 1e-4
        for m in model.modules():
            last = m.bn2 if isinstance(m, BasicBlock) else m.bn3 if isinstance(m, Bottleneck) \
                else m.project.bn if isinstance(m, InvertedResidual) and m.residual else None
            if last is not None:
                last.weight.copy_(0.1 + 0.2 * torch.rand(last.weight.shape, generator=g))
        hooks = []
        for m in model.modules():
            for h in m._forward_pre_hooks.values():
                if hasattr(h, "n_power_iterations"):
                    h.n_power_iterations = 4
                    hooks.append(h)
        model.train()
        mean, std = model.settings["input_mean"], model.settings["input_std"]
        for k in range(steps):
            model(normalise(smooth_images(batch, size, seed=seed + 100 + k), mean, std))
        for h in hooks:
            h.n_power_iterations = 1
        model.eval()
    return model


def count_flops(model, size):
    """FLOPs (2 x multiply-adds) of convolutions and attention matmuls, one frame."""
    total = [0]

    def conv_hook(m, inp, out):
        k = m.weight.shape[1] * int(np.prod(m.kernel_size))
        total[0] += 2 * out.numel() * k

    def sa_hook(m, inp, out):
        c, n = inp[0].shape[1], inp[0].shape[2] * inp[0].shape[3]
        total[0] += 2 * n * n * (c // 8) + 2 * n * n * c

    hs = [m.register_forward_hook(conv_hook) for m in model.modules()
          if isinstance(m, (nn.Conv2d, nn.Conv1d))]
    hs += [m.register_forward_hook(sa_hook) for m in model.modules()
           if isinstance(m, SelfAttention)]
    with torch.no_grad():
        model.eval()
        model(torch.zeros(1, 3, size, size))
    for h in hs:
        h.remove()
    return float(total[0])
