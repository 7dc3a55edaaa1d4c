"""The paper's 32x32 training iteration in PyTorch (CPU), for `npm run bench:paper32`.

The networks and the loop are written here from the official code's facts
(github.com/DJ-LYH/EC-VAE), so the benchmark needs nothing outside this repository:
- encoder: models/res.py ResNet18Enc (dim_h 128, BasicBlockEnc [2, 2, 2, 2], tanh mu,
  logvar_linaer), initialize_weights;
- decoder: models/fastae.py Generator_32 (ngf 64: InitLayer, UpBlockComp, UpBlock,
  UpBlockComp, to_32), spectral norm on every conv (fastae's conv2d/convTranspose2d);
- energy: models/ebms.py MSResNet with train_demo.py's layers [(128,2),(256,2),(256,2),
  (256,2)] and tau 1e-5, then utils.apply_sn (spectral norm on every Conv2d and Linear);
- the loop: train_demo.py's iteration (VAE step with the SGLD-calibrated target and the
  dual weight, then the energy step) and utils.py's sgld (15 steps, two gradient calls per
  step, annealed proximity term), Adam (0, 0.9) at 2e-4 and 1e-4, everything in train mode.
Every channel count is scaled by --width-factor as our paper32 preset scales it
(max(1, round(n * factor)); 1 = the official sizes). The module attribute names follow the
official ones, so `--check-official DIR` can load an official model's state_dict into these
modules and compare the outputs (developer check; needs the official code).

Usage: /usr/bin/python3 torch_paper32.py --width-factor 0.125 --batch 64 --steps 15 --threads 2
Prints one JSON line: seconds per iteration (median of the timed iterations).
"""
import argparse
import json
import math
import statistics
import sys
import time
import types

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

p = argparse.ArgumentParser()
p.add_argument("--width-factor", type=float, default=0.125)
p.add_argument("--batch", type=int, default=128)
p.add_argument("--latent", type=int, default=128)
p.add_argument("--steps", type=int, default=15)
p.add_argument("--iters", type=int, default=3)
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--threads", type=int, default=0)
p.add_argument("--check-official", default="", help="folder of the official repository: compare these networks with its modules at width factor 1")
a = p.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
torch.manual_seed(0)


def ch(n):
    """Our presets' width scaling (JavaScript's Math.round: halves round up)."""
    return max(1, math.floor(n * a.width_factor + 0.5))


# --- encoder: models/res.py ---------------------------------------------------------
class BasicBlockEnc(nn.Module):
    def __init__(self, in_planes, stride):
        super().__init__()
        planes = in_planes * stride
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential() if stride == 1 else nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out)) + self.shortcut(x)
        return torch.relu(out)


class ResNet18Enc(nn.Module):
    def __init__(self, z, nc=3):
        super().__init__()
        d = ch(128)
        self.conv1 = nn.Conv2d(nc, d, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(d)
        planes = d
        for i, stride in enumerate([1, 2, 2, 2]):
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlockEnc(planes, stride), BasicBlockEnc(planes * stride, 1)))
            planes *= stride
        self.linear = nn.Linear(8 * d, z)
        self.logvar_linaer = nn.Linear(8 * d, z)
        for m in self.modules():  # res.initialize_weights
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.data.normal_(0, 0.02)
                if m.bias is not None:
                    m.bias.data.zero_()

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return torch.tanh(self.linear(x)), self.logvar_linaer(x)


# --- decoder: models/fastae.py Generator_32 -----------------------------------------
class GLU(nn.Module):
    def forward(self, x):
        n = x.size(1) // 2
        return x[:, :n] * torch.sigmoid(x[:, n:])


def up_block(cin, cout, comp):
    layers = [nn.Upsample(scale_factor=2, mode="nearest"), spectral_norm(nn.Conv2d(cin, 2 * cout, 3, 1, 1, bias=False)), nn.BatchNorm2d(2 * cout), GLU()]
    if comp:
        layers += [spectral_norm(nn.Conv2d(cout, 2 * cout, 3, 1, 1, bias=False)), nn.BatchNorm2d(2 * cout), GLU()]
    return nn.Sequential(*layers)


class Generator32(nn.Module):
    def __init__(self, z, nc=3):
        super().__init__()
        c4, c8 = ch(1024), ch(512)
        self.init = nn.Module()
        self.init.init = nn.Sequential(spectral_norm(nn.ConvTranspose2d(z, 2 * c4, 4, 1, 0, bias=False)), nn.BatchNorm2d(2 * c4), GLU())
        self.feat_8 = up_block(c4, c8, True)
        self.feat_16 = up_block(c8, c8, False)
        self.feat_32 = up_block(c8, c8, True)
        self.to_32 = nn.Sequential(spectral_norm(nn.Conv2d(c8, nc, 1, 1, 0, bias=False)), nn.Tanh())

    def forward(self, z):
        h = self.init.init(z.view(z.shape[0], -1, 1, 1))
        return self.to_32(self.feat_32(self.feat_16(self.feat_8(h))))


# --- energy: models/ebms.py MSResNet + utils.apply_sn --------------------------------
class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.act = nn.LeakyReLU(0.2)
        self.shortcut = nn.Conv2d(cin, cout, 1, 1, bias=False) if cin != cout else nn.Identity()

    def forward(self, x):
        return self.conv2(self.act(self.conv1(self.act(x)))) + self.shortcut(x)


def stages(layers):
    out, cin = [], layers[0][0]
    for i, (cout, blocks) in enumerate(layers):
        stage = [nn.AvgPool2d(2)] if i > 0 else []
        for _ in range(blocks):
            stage.append(ResBlock(cin, cout))
            cin = cout
        out.append(nn.Sequential(*stage))
    return nn.Sequential(*out)


class MSResNet(nn.Module):
    def __init__(self, tau=1e-5, nc=3):
        super().__init__()
        layers = [(ch(128), 2), (ch(256), 2), (ch(256), 2), (ch(256), 2)]
        self.act, self.tau = nn.LeakyReLU(0.2), tau
        for r in (1, 2, 3):
            setattr(self, f"stem{r}", nn.Sequential(nn.Conv2d(nc, layers[0][0], 3, 1, 1)))
            setattr(self, f"stages{r}", stages(layers))
        last = layers[-1][0]
        self.head = nn.Sequential(nn.Linear(3 * last, ch(2048)), nn.LeakyReLU(0.2), nn.Linear(ch(2048), 1))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="linear")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        pool = lambda h: F.adaptive_avg_pool2d(self.act(h), 1).flatten(1)  # noqa: E731
        f1 = pool(self.stages1(self.stem1(x)))
        f2 = pool(self.stages2(self.stem2(F.avg_pool2d(x, 2))))
        f3 = pool(self.stages3(self.stem3(F.avg_pool2d(x, 4))))
        return self.head(torch.cat([f1, f2, f3], 1)) / self.tau


def apply_sn(m):
    for name, layer in m.named_children():
        m.add_module(name, apply_sn(layer))
    return spectral_norm(m) if isinstance(m, (nn.Conv2d, nn.Linear)) else m


class VAE32(nn.Module):  # fastae.fast_vae_32
    def __init__(self, z):
        super().__init__()
        self.decoder = Generator32(z)
        self.encoder = ResNet18Enc(z)

    def forward(self, x):
        mu, logvar = self.encoder(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decoder(z), z, mu, logvar


def check_official(folder):
    """Loads the official modules' weights into ours (width factor 1) and prints the largest output difference per network."""
    for name in ["FrEIA", "FrEIA.framework", "FrEIA.modules", "torchvision"]:
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.path.insert(0, folder)
    from models import ebms, fastae  # noqa: E402

    torch.manual_seed(1)
    pairs = [
        ("vae", fastae.fast_vae_32(types.SimpleNamespace(num_latent=a.latent)), VAE32(a.latent)),
        ("energy", apply_sn(ebms.MSResNet([(128, 2), (256, 2), (256, 2), (256, 2)], tau=1e-5)), apply_sn(MSResNet())),
    ]
    for name, theirs, ours in pairs:
        ours.load_state_dict(theirs.state_dict())  # strict: raises on any name or shape that differs
        theirs.train()
        ours.train()
        with torch.no_grad():
            if name == "vae":
                z = torch.randn(4, a.latent)
                outs = [(theirs.decode(z), ours.decoder(z))]
                x = torch.rand(4, 3, 32, 32) * 2 - 1
                outs += list(zip(theirs.encoder(x), ours.encoder(x)))
            else:
                x = torch.rand(4, 3, 32, 32) * 2 - 1
                outs = [(theirs(x), ours(x))]
        err = max(float((t - o).abs().max() / t.abs().max()) for t, o in outs)
        count = lambda m: sum(q.numel() for q in m.parameters())  # noqa: E731
        print(json.dumps({"network": name, "parameters": [count(ours), count(theirs)], "max_rel_error": err}))


if a.check_official:
    a.width_factor = 1.0
    check_official(a.check_official)
    sys.exit(0)

B, Z, K = a.batch, a.latent, a.steps
STEP = 1e-6  # train_demo.py's step_size (the time does not depend on it)
vae = VAE32(Z)
energy_fn = apply_sn(MSResNet())
opt_vae = torch.optim.Adam(vae.parameters(), lr=2e-4, betas=(0.0, 0.9))
opt_ebm = torch.optim.Adam(energy_fn.parameters(), lr=1e-4, betas=(0.0, 0.9))
vae.train()
energy_fn.train()


def requires_grad(flag):
    """What train_demo.py's requires_grad(parameters, ...) means to do (it is handed a spent generator there); the SGLD gradients ask for the image only either way."""
    for q in energy_fn.parameters():
        q.requires_grad = flag


def sgld(img, condition):
    """utils.sgld (mcmc): per step the proximity gradient and the energy gradient, then the Langevin update."""
    img0 = condition.clone().detach()
    img = img.clone().detach()
    for k in range(K):
        img.requires_grad = True
        noise = torch.randn_like(img) * STEP**0.5
        energy = energy_fn(img)
        mse = ((img.clamp(-1, 1) - img0.clamp(-1, 1)) ** 2).view(img.shape[0], -1).sum(1)
        mse = (K - k - 1) / K * (F.relu(mse - 0.07) + 0.07)
        g_con = torch.autograd.grad(mse.sum(), [img])[0]
        g = torch.autograd.grad(energy.sum(), [img], retain_graph=True)[0]
        img = (img - STEP * 0.5 * (g + g_con) + noise).clone().detach()
    return img.detach()


lam, beta, eps = 30.0, 0.1, 0.05
data = torch.rand(B, 3, 32, 32) * 2 - 1
times = []
for it in range(a.warmup + a.iters):
    t0 = time.perf_counter()
    opt_vae.zero_grad()
    recon, _, mu, logvar = vae(data)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / B
    rec = ((recon - data) ** 2).sum() / B
    noise = torch.randn(B, Z)
    samples = vae.decoder(noise)
    requires_grad(False)
    target = sgld(samples.detach(), samples.detach())
    cal = ((target.detach() - samples) ** 2).sum() / B
    (lam * cal + rec + beta * kl).backward()
    opt_vae.step()
    opt_ebm.zero_grad()
    requires_grad(True)
    with torch.no_grad():
        samples = vae.decoder(noise)
    neg = sgld(samples.detach(), samples.detach())
    (energy_fn(data) - energy_fn(neg)).mean().backward()
    opt_ebm.step()
    lam = min(max(lam + 1e-2 * (cal.item() - eps), 0.0), 100.0)
    if it >= a.warmup:
        times.append(time.perf_counter() - t0)
    print(f"iteration {it + 1}: {time.perf_counter() - t0:.2f} s", file=sys.stderr)
print(
    json.dumps(
        {
            "impl": "pytorch-" + torch.__version__,
            "threads": torch.get_num_threads(),
            "width_factor": a.width_factor,
            "batch": B,
            "steps": K,
            "sec_per_iter": statistics.median(times),
            "times": sorted(times),
        }
    )
)
