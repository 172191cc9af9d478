"""tools/mobilenet_keras.py: reads nsfwjs's tfjs Keras MobileNetV2 (model.min.js and the
base64 weight shard inside its .min.js wrapper, uint8-quantised per tensor) and rebuilds it
in PyTorch, Keras padding and BN eps included.

Used by tools/import-mobilenet (conversion and its check) and tools/train (encoder start).
Weights are kept under their Keras names, in PyTorch layouts:
  conv kernels [out, in, kh, kw]; depthwise kernels [C, 1, kh, kw]; dense kernels [out, in];
  BN: NAME/gamma, NAME/beta, NAME/moving_mean, NAME/moving_variance.
"""
import base64
import json
import re

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-3
CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]  # nsfwjs's nsfw_classes.js
# (expansion t, out channels c, stride s) for the 17 inverted-residual blocks
BLOCKS = [(1, 16, 1)] + [(6, 24, 2), (6, 24, 1)] + [(6, 32, 2)] + [(6, 32, 1)] * 2 + \
         [(6, 64, 2)] + [(6, 64, 1)] * 3 + [(6, 96, 1)] * 3 + [(6, 160, 2)] + \
         [(6, 160, 1)] * 2 + [(6, 320, 1)]


# ---------------------------------------------------------------- JS literal reading
class _JsReader:
    """Recursive-descent reader for the JS object literals minifiers write (unquoted keys,
    !0/!1 booleans, numbers like .5 and -.25). Just enough for tfjs model files."""

    _num = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
    _ident = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")

    def __init__(self, text, pos):
        self.s, self.i = text, pos

    def value(self):
        s, i = self.s, self.i
        c = s[i]
        if c == "{":
            return self._object()
        if c == "[":
            return self._array()
        if c in "\"'":
            return self._string()
        if s.startswith("!0", i):
            self.i += 2
            return True
        if s.startswith("!1", i):
            self.i += 2
            return False
        m = self._num.match(s, i)
        if m:
            self.i = m.end()
            t = m.group(0)
            return float(t) if any(ch in t for ch in ".eE") else int(t)
        m = self._ident.match(s, i)
        if m:
            self.i = m.end()
            word = m.group(0)
            consts = {"null": None, "true": True, "false": False, "void": None}
            if word not in consts:
                raise ValueError("unexpected identifier %r at %d" % (word, i))
            if word == "void":  # void 0
                self.i = self._num.match(s, self.i + 1).end()
            return consts[word]
        raise ValueError("unexpected %r at %d" % (s[i:i + 20], i))

    def _string(self):
        q, s = self.s[self.i], self.s
        j = self.i + 1
        out = []
        while s[j] != q:
            if s[j] == "\\":
                out.append(json.loads('"' + s[j:j + 2] + '"') if s[j + 1] != "u"
                           else chr(int(s[j + 2:j + 6], 16)))
                j += 6 if s[j + 1] == "u" else 2
            else:
                out.append(s[j])
                j += 1
        self.i = j + 1
        return "".join(out)

    def _array(self):
        self.i += 1
        out = []
        while self.s[self.i] != "]":
            out.append(self.value())
            if self.s[self.i] == ",":
                self.i += 1
        self.i += 1
        return out

    def _object(self):
        self.i += 1
        out = {}
        while self.s[self.i] != "}":
            if self.s[self.i] in "\"'":
                key = self._string()
            else:
                m = self._ident.match(self.s, self.i) or self._num.match(self.s, self.i)
                key = m.group(0)
                self.i = m.end()
            assert self.s[self.i] == ":", self.s[self.i:self.i + 20]
            self.i += 1
            out[key] = self.value()
            if self.s[self.i] == ",":
                self.i += 1
        self.i += 1
        return out


def _module_export(path):
    """The value a browserify-wrapped .min.js assigns to its module's exports."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r"\{1:\[function\(\w+,(\w+),\w+\)\{\1\.exports=", text)
    if not m:
        raise ValueError("%s: no module.exports assignment found" % path)
    return _JsReader(text, m.end()).value()


def load_tfjs(model_dir):
    """Returns (topology dict, {keras weight name: float32 ndarray in Keras layout})."""
    model = _module_export("%s/model.min.js" % model_dir)
    weights = {}
    for group in model["weightsManifest"]:
        raw = b""
        for p in group["paths"]:
            shard = _module_export("%s/%s.min.js" % (model_dir, p))
            raw += base64.b64decode(shard)
        off = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q:
                assert q["dtype"] == "uint8", q
                a = np.frombuffer(raw, np.uint8, n, off).astype(np.float64)
                a = (a * q["scale"] + q["min"]).astype(np.float32)
                off += n
            else:
                assert w["dtype"] == "float32", w
                a = np.frombuffer(raw, np.float32, n, off).copy()
                off += 4 * n
            weights[w["name"]] = a.reshape(w["shape"])
        if off != len(raw):
            raise ValueError("shard size %d, manifest covers %d bytes" % (len(raw), off))
    return model["modelTopology"], weights


def to_torch_layout(keras_weights):
    """Keras layouts -> PyTorch layouts, same names without the ':0' style suffixes."""
    out = {}
    for name, a in keras_weights.items():
        if name.endswith("/depthwise_kernel"):      # [kh, kw, C, 1] -> [C, 1, kh, kw]
            a = a.transpose(2, 3, 0, 1)
        elif name.endswith("/kernel") and a.ndim == 4:   # [kh, kw, in, out] -> [out, in, kh, kw]
            a = a.transpose(3, 2, 0, 1)
        elif name.endswith("/kernel") and a.ndim == 2:   # dense [in, out] -> [out, in]
            a = a.T
        out[name] = np.ascontiguousarray(a, dtype=np.float32)
    return out


# ---------------------------------------------------------------- PyTorch MobileNetV2
class KerasBN(nn.BatchNorm2d):
    def __init__(self, c):
        super().__init__(c, eps=BN_EPS)


class ConvBN(nn.Module):
    """[pad (0,1,0,1) if stride 2] conv (no bias) -> BN(eps 1e-3) -> [ReLU6]."""

    def __init__(self, cin, cout, k, stride, groups=1, relu=True):
        super().__init__()
        self.stride, self.k = stride, k
        self.conv = nn.Conv2d(cin, cout, k, stride, 0 if stride == 2 else k // 2,
                              groups=groups, bias=False)
        self.bn = KerasBN(cout)
        self.relu = relu

    def forward(self, x):
        if self.stride == 2:
            x = F.pad(x, (0, 1, 0, 1))
        x = self.bn(self.conv(x))
        return F.relu6(x) if self.relu else x


class InvertedResidual(nn.Module):
    def __init__(self, cin, t, cout, stride):
        super().__init__()
        hid = cin * t
        self.expand = ConvBN(cin, hid, 1, 1) if t != 1 else None
        self.depthwise = ConvBN(hid, hid, 3, stride, groups=hid)
        self.project = ConvBN(hid, cout, 1, 1, relu=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.depthwise(y))
        return x + y if self.residual else y


class MobileNetV2(nn.Module):
    """Keras MobileNetV2 (alpha 1.0). features(x) returns the five skip taps
    (16 @ /2, 24 @ /4, 32 @ /8, 96 @ /16, 1280 @ /32); forward(x) the nsfwjs classifier."""

    TAP_AFTER = (1, 3, 6, 13, 18)  # indices in self.body after which a tap is taken

    def __init__(self, head=True):
        super().__init__()
        layers = [ConvBN(3, 32, 3, 2)]
        cin = 32
        for t, c, s in BLOCKS:
            layers.append(InvertedResidual(cin, t, c, s))
            cin = c
        layers.append(ConvBN(cin, 1280, 1, 1))
        self.body = nn.ModuleList(layers)
        self.head = nn.Sequential(nn.Linear(1280, 256), nn.ReLU(), nn.Linear(256, 128),
                                  nn.ReLU(), nn.Linear(128, 5)) if head else None

    def features(self, x):
        taps = []
        for i, layer in enumerate(self.body):
            x = layer(x)
            if i in self.TAP_AFTER:
                taps.append(x)
        return taps

    def forward(self, x):
        for layer in self.body:
            x = layer(x)
        x = F.avg_pool2d(x, 7, 7).flatten(1)  # the Keras head pools 7x7 at 224 px
        return self.head(x)


def keras_names():
    """[(module path in MobileNetV2, keras prefix)] for every ConvBN, in order."""
    out = [("body.0", "Conv1", "bn_Conv1")]
    for i in range(len(BLOCKS)):
        p = "body.%d" % (i + 1)
        k = "expanded_conv" if i == 0 else "block_%d" % i
        if BLOCKS[i][0] != 1:
            out.append((p + ".expand", k + "_expand", k + "_expand_BN"))
        out.append((p + ".depthwise", k + "_depthwise", k + "_depthwise_BN"))
        out.append((p + ".project", k + "_project", k + "_project_BN"))
    out.append(("body.%d" % (len(BLOCKS) + 1), "Conv_1", "Conv_1_bn"))
    return out


def state_dict_from_keras(w, head=True):
    """PyTorch-layout Keras weights -> MobileNetV2 state dict."""
    sd = {}
    for path, conv, bn in keras_names():
        kern = w.get(conv + "/kernel")
        if kern is None:
            kern = w[conv + "/depthwise_kernel"]
        sd[path + ".conv.weight"] = kern
        sd[path + ".bn.weight"] = w[bn + "/gamma"]
        sd[path + ".bn.bias"] = w[bn + "/beta"]
        sd[path + ".bn.running_mean"] = w[bn + "/moving_mean"]
        sd[path + ".bn.running_var"] = w[bn + "/moving_variance"]
    if head:
        for j, d in ((0, "dense_1"), (2, "dense_2"), (4, "dense_3")):
            sd["head.%d.weight" % j] = w[d + "/kernel"]
            sd["head.%d.bias" % j] = w[d + "/bias"]
    return {k: torch.from_numpy(np.asarray(v)) for k, v in sd.items()}


def build(npz_or_dict, head=True):
    """The classifier (or encoder) from Keras-layout weights: a dict or tools/import-mobilenet's
    .npz."""
    w = dict(np.load(npz_or_dict)) if isinstance(npz_or_dict, str) else npz_or_dict
    w = to_torch_layout(w)
    m = MobileNetV2(head=head)
    missing, unexpected = m.load_state_dict(state_dict_from_keras(w, head), strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError("state dict mismatch: missing %s unexpected %s" % (missing, unexpected))
    return m.eval()
