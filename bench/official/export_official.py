"""
Instantiates the official EC-VAE networks (github.com/DJ-LYH/EC-VAE: models/res.py,
models/fastae.py, models/ebms.py) at their official widths, runs one training-mode
forward pass of each on seeded inputs, and writes, per network, the weights (in the
order our presets declare them), spectral norm's u vectors as they were before the
pass, the inputs and the outputs: <out>/<network>.json (index) + <network>.bin
(float32, little-endian). bench/official/compare.ts loads them into our networks and
compares the outputs. Developer-run (needs the official code and PyTorch, CPU is
enough; see docs/paper-setting.md):

  /usr/bin/python3 bench/official/export_official.py --official /path/to/EC-VAE --out /tmp/ecvae-official
"""
import argparse
import json
import os
import sys
import types

import numpy as np
import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--official", required=True, help="folder of the official repository (with models/)")
parser.add_argument("--out", required=True)
parser.add_argument("--batch", type=int, default=2)
parser.add_argument("--latent", type=int, default=128)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--only", default="", help="comma-separated network names (default: all)")
args = parser.parse_args()
torch.set_num_threads(args.threads)

# fastae.py imports FrEIA (for a flow it does not use here) and ebms.py torchvision at
# the top; neither is in Debian's PyTorch. Empty stand-ins let the modules import.
for name in ["FrEIA", "FrEIA.framework", "FrEIA.modules", "torchvision"]:
    try:
        __import__(name)
    except ImportError:
        sys.modules[name] = types.ModuleType(name)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, sys.modules[name])
sys.path.insert(0, args.official)
from models import res, fastae, ebms  # noqa: E402


def apply_sn(m):
    """utils.apply_sn (utils.py imports FrEIA names at the top): spectral norm on every Conv2d and Linear, recursively."""
    for name, layer in m.named_children():
        m.add_module(name, apply_sn(layer))
    return nn.utils.spectral_norm(m) if isinstance(m, (nn.Conv2d, nn.Linear)) else m


SN_MODULES = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def leaves(module):
    """Parameterised leaf modules in registration order (what named_parameters walks)."""
    return [m for m in module.modules() if isinstance(m, SN_MODULES + (nn.BatchNorm2d,))]


def weights_of(modules):
    """Our declaration order: per layer weight then bias (torch's spectral_norm registers bias first), BN scale then shift."""
    tensors, us = [], []
    for m in modules:
        if isinstance(m, nn.BatchNorm2d):
            tensors += [("vector", m.weight), ("vector", m.bias)]
            continue
        kind = "convT" if isinstance(m, nn.ConvTranspose2d) else "conv" if isinstance(m, nn.Conv2d) else "linear"
        w = m.weight_orig if hasattr(m, "weight_orig") else m.weight
        tensors.append((kind, w))
        if m.bias is not None:
            tensors.append(("vector", m.bias))
        if hasattr(m, "weight_u"):
            us.append(m.weight_u.detach().clone())
    return tensors, us


class Writer:
    def __init__(self, name):
        self.name, self.chunks, self.offset, self.index = name, [], 0, {"tensors": [], "snU": [], "inputs": {}, "outputs": {}}

    def add(self, t):
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
        entry = {"shape": list(a.shape), "offset": self.offset}
        self.chunks.append(a.tobytes())
        self.offset += a.nbytes
        return entry

    def save(self, **meta):
        self.index.update(meta)
        with open(os.path.join(args.out, self.name + ".bin"), "wb") as f:
            f.write(b"".join(self.chunks))
        with open(os.path.join(args.out, self.name + ".json"), "w") as f:
            json.dump(self.index, f)


def nhwc(t):
    return t.permute(0, 2, 3, 1) if t.dim() == 4 else t


def export(name, net, modules, inputs, run, meta):
    torch.manual_seed(args.seed + 1)
    net.train()  # the official code never switches to eval: batch statistics, one power iteration per pass
    tensors, us = weights_of(modules)
    w = Writer(name)
    for kind, t in tensors:
        w.index["tensors"].append({"kind": kind, **w.add(t)})
    for u in us:
        w.index["snU"].append(w.add(u))
    for k, v in inputs.items():
        w.index["inputs"][k] = w.add(nhwc(v))
    with torch.no_grad():
        outputs = run()
    for k, v in outputs.items():
        w.index["outputs"][k] = w.add(nhwc(v))
    count = sum(p.numel() for p in net.parameters() if p.requires_grad)
    w.save(network=name, officialParameters=count, **meta)
    print(json.dumps({"network": name, "official_parameters": count, "outputs": {k: list(v.shape) for k, v in outputs.items()}}))


def images(size, batch):
    g = torch.Generator().manual_seed(args.seed)
    return torch.rand(batch, 3, size, size, generator=g) * 2 - 1


def latents(batch):
    g = torch.Generator().manual_seed(args.seed + 2)
    return torch.randn(batch, args.latent, generator=g)


os.makedirs(args.out, exist_ok=True)
B, Z = args.batch, args.latent
only = set(filter(None, args.only.split(",")))
want = lambda n: not only or n in only  # noqa: E731
TAU = 1e-5  # train_demo.py's tau: the energy's output is divided by it
EBM_LAYERS = [(128, 2), (256, 2), (256, 2), (256, 2)]  # train_demo.py


def ms_energy(name, size, batch):
    torch.manual_seed(args.seed)
    net = apply_sn(ebms.MSResNet(EBM_LAYERS, tau=TAU))
    order = [net.stem1, net.stages1, net.stem2, net.stages2, net.stem3, net.stages3, net.head]
    x = images(size, batch)
    export(name, net, [m for part in order for m in leaves(part)], {"x": x}, lambda: {"energy": net(x).view(-1)}, {"size": size, "temperature": TAU})


def resnet_encoder(name, size):
    torch.manual_seed(args.seed)
    net = res.ResNet18Enc(z_dim=Z, use_vae=True)
    x = images(size, B)
    export(name, net, leaves(net), {"x": x}, lambda: dict(zip(["mu", "logvar"], net(x))), {"size": size})


if want("paper32.encoder"):
    resnet_encoder("paper32.encoder", 32)
if want("paper32.decoder"):
    torch.manual_seed(args.seed)
    net = fastae.Generator_32(nz=Z)
    z = latents(B)
    export("paper32.decoder", net, leaves(net), {"z": z}, lambda: {"image": net(z)}, {})
if want("paper32.energy"):
    ms_energy("paper32.energy", 32, B)

if want("paper64.encoder"):
    resnet_encoder("paper64.encoder", 64)
if want("paper64.decoder"):
    torch.manual_seed(args.seed)
    net = res.ResNet18Dec(types.SimpleNamespace(dataset="celeba"), z_dim=Z)
    res.initialize_weights(net)
    z = latents(B)
    # The injected noise is drawn inside the forward; record it so that ours gets the same.
    recorded = []
    original = res.NoiseInjection.forward

    def recording(self, feat, noise=None):
        n = torch.randn(feat.shape[0], 1, feat.shape[2], feat.shape[3])
        recorded.append(n)
        return original(self, feat, n)

    res.NoiseInjection.forward = recording
    torch.manual_seed(args.seed + 3)
    with torch.no_grad():
        net.train()
        image = net(z)
    res.NoiseInjection.forward = original
    # Export with the same pre-pass state: ResNet18Dec has no spectral norm, so the pass changed nothing we export.
    noise = {f"noise{i}": n for i, n in enumerate(recorded)}
    export("paper64.decoder", net, leaves(net), {"z": z, **noise}, lambda: {"image": image * 2 - 1}, {"note": "official sigmoid output mapped to [-1, 1] as 2x - 1"})
if want("paper64.energy"):
    ms_energy("paper64.energy", 64, B)

if want("paper256.encoder"):
    torch.manual_seed(args.seed)
    net = fastae.Discriminator(ndf=64, nc=3, im_size=256, num_latent=Z)
    x = images(256, B)
    export("paper256.encoder", net, leaves(net), {"x": x}, lambda: dict(zip(["mu", "logvar"], net(x))), {"size": 256})
if want("paper256.decoder"):
    torch.manual_seed(args.seed)
    net = fastae.Generator(ngf=64, nz=Z, nc=3, im_size=256)
    z = latents(B)
    export("paper256.decoder", net, leaves(net), {"z": z}, lambda: {"image": net(z)}, {})
if want("paper256.energy"):
    ms_energy("paper256.energy", 256, 1)

if want("latent_ebm"):
    torch.manual_seed(args.seed)
    net = res.latent_ebm(types.SimpleNamespace(num_latent=Z))
    z = latents(8)
    export("latent_ebm", net, leaves(net), {"z": z}, lambda: {"energy": net(z).view(-1)}, {})
