"""PyTorch reference of DirectPred Lab's training step and run loop, for `npm run bench -- vs-pytorch`.

Written for this project (not copied): the same model, batch, loss, optimiser and EMA as
src-main/engine (convnet 3x3 + BN + ReLU, 2x2 max-pool after all but the last stage, global
average pool; projector Linear -> BN -> ReLU -> Linear(+bias); symmetric l(p1,t2) + l(p2,t1)
with l = 2 - 2cos (summed, as the lab's default setup and the official code); SGD with momentum and weight decay; EMA target).

  python3 byol_torch.py step --threads N --steps S   one step, B=64, 32x32x3, linear predictor 128x128
  python3 byol_torch.py run  --threads N --steps S   the default `dplab run` loop: B=128, 28x28x1,
        DirectPred predictor (W_p from the eigendecomposition of F every step), spectra every step,
        random-crop + flip augmentation of two views

Prints one JSON line: images/s of each timed step (the first step is a warm-up and not timed).
Run with Debian's python3 (python3-torch).
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_net(widths, cin):
    layers = []
    for i, w in enumerate(widths):
        layers += [nn.Conv2d(cin, w, 3, padding=1, bias=False), nn.BatchNorm2d(w, eps=1e-5), nn.ReLU()]
        if i < len(widths) - 1:
            layers.append(nn.MaxPool2d(2))
        cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


class Backbone(nn.Module):
    def __init__(self, widths, cin, hidden, out):
        super().__init__()
        self.encoder = conv_net(widths, cin)
        self.projector = nn.Sequential(
            nn.Linear(widths[-1], hidden, bias=False), nn.BatchNorm1d(hidden, eps=1e-5), nn.ReLU(), nn.Linear(hidden, out)
        )

    def forward(self, x):
        return self.projector(self.encoder(x))


def pair_loss(p, t):
    return 2 - 2 * F.cosine_similarity(p, t, dim=1, eps=1e-12).mean()


def augment(x, gen):
    """Random crop (pad 4, then crop back) and horizontal flip per image: a cheap stand-in for
    the trainer's augmentation, applied on the CPU in the timed step as ours is."""
    n, c, h, w = x.shape
    padded = F.pad(x, (4, 4, 4, 4), mode="reflect")
    dy = torch.randint(0, 9, (n,), generator=gen)
    dx = torch.randint(0, 9, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None].expand(n, c, h, w + 8)
    out = torch.gather(padded, 2, rows)
    cols = (dx[:, None] + torch.arange(w)[None, :])[:, None, None, :].expand(n, c, h, w)
    out = torch.gather(out, 3, cols)
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["step", "run"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    if a.mode == "step":
        B, size, cin = 64, 32, 3
    else:
        B, size, cin = 128, 28, 1
    widths, hidden, out = [32, 64, 128, 256], 512, 128
    online = Backbone(widths, cin, hidden, out)
    target = Backbone(widths, cin, hidden, out)
    target.load_state_dict(online.state_dict())
    for p in target.parameters():
        p.requires_grad_(False)
    pred = nn.Linear(out, out, bias=False)
    directpred = a.mode == "run"
    params = list(online.parameters()) + ([] if directpred else list(pred.parameters()))
    opt = torch.optim.SGD(params, lr=0.03, momentum=0.9, weight_decay=4e-4)
    tau, rho, eps = 0.996, 0.3, 0.1
    f_hat = None
    pool = torch.rand(1024, cin, size, size, generator=gen)
    rates = []
    for step in range(a.steps + 1):
        t0 = time.perf_counter()
        if a.mode == "step":
            v1 = pool[:B]
            v2 = pool[B : 2 * B]
        else:
            idx = torch.randint(0, pool.shape[0], (B,), generator=gen)
            batch = pool[idx]
            v1, v2 = augment(batch, gen), augment(batch, gen)
        with torch.no_grad():
            t1, t2 = target(v1), target(v2)
        z1, z2 = online(v1), online(v2)
        p1, p2 = pred(z1), pred(z2)
        loss = pair_loss(p1, t2) + pair_loss(p2, t1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for pt, po in zip(target.parameters(), online.parameters()):
                pt.mul_(tau).add_(po, alpha=1 - tau)
            f = torch.cat([z1, z2]).detach()
            corr = f.T @ f / f.shape[0]
            if directpred:
                # F-hat <- rho F-hat + (1 - rho) E[f f^T]; W_p = U diag(sqrt(s / max s) + eps) U^T.
                f_hat = corr if f_hat is None else rho * f_hat + (1 - rho) * corr
                s, u = torch.linalg.eigh(f_hat.double())
                s = s.clamp(min=0)
                p = (s / s.max()).sqrt() + eps
                pred.weight.copy_((u * p) @ u.T)
                # Spectra every step: eigenvalues of F-hat (above) and of W_p's symmetric part.
                torch.linalg.eigvalsh(0.5 * (pred.weight + pred.weight.T).double())
            float(loss)
        if step > 0:
            rates.append(B / (time.perf_counter() - t0))
    print(json.dumps({"engine": "pytorch", "torch": torch.__version__, "mode": a.mode, "threads": torch.get_num_threads(), "rates": rates}))


if __name__ == "__main__":
    main()
