"""PyTorch reference of DirectPred Lab's whole lab-scale run, for `npm run bench -- vs-pytorch --only=lab`.

Written for this project (not copied). The same run as examples/invariance-lab.json trained by
`dplab run` (engine/trainer.ts), on the same images (bench/vs-pytorch.ts writes the generated
invariance dataset to a folder this script reads):
  - ConvNet 8-16 (3x3 conv, BN, ReLU, 2x2 max-pool between stages, global average pool),
    projector 16 -> 32 (BN, ReLU) -> 16, BYOL with an EMA target (0.996), DirectPred predictor
    (F-hat <- rho F-hat + (1 - rho) E_B[f f^T], W_p = U diag(sqrt(s / max s) + eps) U^T every step),
    symmetric 2 - 2cos loss summed, SGD lr 0.03 momentum 0.9 weight decay 4e-4, batch 32;
  - augmentation: random resized crop (scale 0.2-1, ratio 3/4-4/3, bilinear) with flip, brightness
    and contrast 0.4 (gray images: no saturation or grayscale), drawn per image per step;
  - evaluation at step 0 and at the end: precise BN (8 batches of 256 un-augmented images), frozen
    features of 1,024 train / 512 test images, a softmax probe (Adam 0.01, batch 256, 10 epochs,
    epoch chosen on a fifth held out) and a weighted kNN (k = 20, T = 0.07); representation
    statistics (effective rank, collapse std of f on 512 images) at step 0, every 20 steps with the
    spectra of F-hat and W_p, and at the end.

  python3 lab_torch.py DATA_DIR --threads N [--steps S]

Prints one JSON line: the process's wall time (imports included) and the accuracies.
Run with Debian's python3 (python3-torch).
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def conv_net(widths, cin):
    layers = []
    for i, w in enumerate(widths):
        layers += [nn.Conv2d(cin, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
        if i < len(widths) - 1:
            layers.append(nn.MaxPool2d(2))
        cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


class Backbone(nn.Module):
    def __init__(self, widths, cin, hidden, out):
        super().__init__()
        self.encoder = conv_net(widths, cin)
        self.projector = nn.Sequential(nn.Linear(widths[-1], hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, out))

    def forward(self, x):
        return self.projector(self.encoder(x))


def read_split(folder, name, size, cin):
    with open(os.path.join(folder, f"{name}.u8"), "rb") as f:
        px = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
    with open(os.path.join(folder, f"{name}.labels"), "rb") as f:
        labels = torch.frombuffer(bytearray(f.read()), dtype=torch.int32).long()
    # Stored N x H x W x C (channels last), as the lab keeps images.
    x = px.view(-1, size, size, cin).permute(0, 3, 1, 2).float().div(255)
    return x, labels


def normalize(x):
    return (x - 0.5) * 2


def augment(x, gen):
    """One view: random resized crop + flip by an affine sampling grid (bilinear), brightness and
    contrast per image, clipped to [0, 1], normalised."""
    n = x.shape[0]
    scale = torch.empty(n).uniform_(0.2, 1.0, generator=gen)
    logr = torch.empty(n).uniform_(math.log(3 / 4), math.log(4 / 3), generator=gen)
    r = logr.exp()
    w = (scale * r).sqrt().clamp(max=1)
    h = (scale / r).sqrt().clamp(max=1)
    x0 = torch.rand(n, generator=gen) * (1 - w)
    y0 = torch.rand(n, generator=gen) * (1 - h)
    flip = torch.rand(n, generator=gen) < 0.5
    sx = torch.where(flip, -w, w)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = sx
    theta[:, 0, 2] = 2 * x0 + w - 1
    theta[:, 1, 1] = h
    theta[:, 1, 2] = 2 * y0 + h - 1
    grid = F.affine_grid(theta, list(x.shape), align_corners=True)
    v = F.grid_sample(x, grid, mode="bilinear", align_corners=True)
    b = 1 + torch.empty(n, 1, 1, 1).uniform_(-0.4, 0.4, generator=gen)
    c = 1 + torch.empty(n, 1, 1, 1).uniform_(-0.4, 0.4, generator=gen)
    v = v * b
    m = v.mean(dim=(1, 2, 3), keepdim=True)
    v = (v - m) * c + m
    return normalize(v.clamp(0, 1))


def pair_loss(p, t):
    return 2 - 2 * F.cosine_similarity(p, t, dim=1, eps=1e-12).mean()


def precise_bn(net, pool, gen):
    """Running statistics = batch statistics averaged over up to 8 batches of 256 images."""
    bns = [m for m in net.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    sums = {id(m): [0, 0] for m in bns}
    hooks = []
    for m in bns:
        def hook(mod, inp, _out):
            x = inp[0]
            dims = [0] if x.dim() == 2 else [0, 2, 3]
            s = sums[id(mod)]
            s[0] = s[0] + x.mean(dims)
            s[1] = s[1] + x.var(dims, unbiased=False)
        hooks.append(m.register_forward_hook(hook))
    order = torch.randperm(pool.shape[0], generator=gen)[: min(pool.shape[0], 8 * 256)]
    net.train()
    batches = 0
    with torch.no_grad():
        for s in range(0, order.shape[0], 256):
            net.encoder(normalize(pool[order[s : s + 256]]))
            batches += 1
    for h in hooks:
        h.remove()
    for m in bns:
        if not isinstance(sums[id(m)][0], int):
            m.running_mean.copy_(sums[id(m)][0] / batches)
            m.running_var.copy_(sums[id(m)][1] / batches)


def features(net, x):
    net.eval()
    with torch.no_grad():
        out = torch.cat([net.encoder(normalize(x[s : s + 256])) for s in range(0, x.shape[0], 256)])
    net.train()
    return out


def probe(xtr, ytr, xte, yte, classes, epochs, gen):
    perm = torch.randperm(xtr.shape[0], generator=gen)
    n_val = max(1, xtr.shape[0] // 5)
    xv, yv, xf, yf = xtr[perm[:n_val]], ytr[perm[:n_val]], xtr[perm[n_val:]], ytr[perm[n_val:]]
    mean, std = xf.mean(0), (xf.var(0, unbiased=False) + 1e-6).rsqrt()
    xf, xv, xt = (xf - mean) * std, (xv - mean) * std, (xte - mean) * std
    lin = nn.Linear(xf.shape[1], classes)
    nn.init.zeros_(lin.weight)
    nn.init.zeros_(lin.bias)
    opt = torch.optim.Adam(lin.parameters(), lr=0.01)
    best_val, best_test = -1.0, 0.0
    for _ in range(epochs):
        order = torch.randperm(xf.shape[0], generator=gen)
        for s in range(0, xf.shape[0], 256):
            i = order[s : s + 256]
            loss = F.cross_entropy(lin(xf[i]), yf[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            val = (lin(xv).argmax(1) == yv).float().mean().item()
            if val > best_val:
                best_val, best_test = val, (lin(xt).argmax(1) == yte).float().mean().item()
    return best_test


def knn(xtr, ytr, xte, yte, classes, k=20, temp=0.07):
    bank = F.normalize(xtr, dim=1)
    q = F.normalize(xte, dim=1)
    sim = q @ bank.T
    vals, idx = sim.topk(k, dim=1)
    votes = torch.zeros(q.shape[0], classes).scatter_add_(1, ytr[idx], (vals / temp).exp())
    return (votes.argmax(1) == yte).float().mean().item()


def stats(net, pool_stats):
    """Effective rank and collapse std of f (training-mode BN per chunk of 256), float64 eigenvalues."""
    net.train()
    with torch.no_grad():
        f = torch.cat([net(normalize(pool_stats[s : s + 256])) for s in range(0, pool_stats.shape[0], 256)])
    cov = torch.cov(f.T.double(), correction=0)
    ev = torch.linalg.eigvalsh(cov).clamp(min=0)
    p = ev / ev.sum()
    rank = math.exp(-(p[p > 0] * p[p > 0].log()).sum().item())
    u = F.normalize(f, dim=1)
    std = u.std(0, unbiased=False).mean().item()
    return rank, std


def evaluate(net, pool, xtr, ytr, xte, yte, classes, epochs, gen):
    precise_bn(net, pool, gen)
    ftr, fte = features(net, xtr), features(net, xte)
    return probe(ftr, ytr, fte, yte, classes, epochs, gen), knn(ftr, ytr, fte, yte, classes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=2000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    with open(os.path.join(a.data, "meta.json")) as f:
        meta = json.load(f)
    size, cin, classes = meta["size"], meta["channels"], meta["classes"]
    pool, _ = read_split(a.data, "pretrain", size, cin)
    xtr, ytr = read_split(a.data, "train", size, cin)
    xte, yte = read_split(a.data, "test", size, cin)
    xtr, ytr = xtr[: meta["probeTrain"]], ytr[: meta["probeTrain"]]
    xte, yte = xte[: meta["probeTest"]], yte[: meta["probeTest"]]
    pool_stats = pool[torch.randperm(pool.shape[0], generator=gen)[:512]]
    B, rho, eps, tau, spectra_every, epochs = 32, 0.3, 0.1, 0.996, 20, 10
    online = Backbone([8, 16], cin, 32, 16)
    target = Backbone([8, 16], cin, 32, 16)
    target.load_state_dict(online.state_dict())
    for p in target.parameters():
        p.requires_grad_(False)
    pred = nn.Linear(16, 16, bias=False)
    pred.weight.requires_grad_(False)
    opt = torch.optim.SGD(online.parameters(), lr=0.03, momentum=0.9, weight_decay=4e-4)

    base = evaluate(online, pool, xtr, ytr, xte, yte, classes, epochs, gen)
    stats(online, pool_stats)
    f_hat = None
    per_epoch = pool.shape[0] // B
    order = torch.randperm(pool.shape[0], generator=gen)
    losses = []
    t_train = time.perf_counter()
    for step in range(a.steps):
        if step % per_epoch == 0:
            order = torch.randperm(pool.shape[0], generator=gen)
        batch = pool[order[(step % per_epoch) * B : (step % per_epoch + 1) * B]]
        v1, v2 = augment(batch, gen), augment(batch, gen)
        with torch.no_grad():
            t1, t2 = target(v1), target(v2)
        z1, z2 = online(v1), online(v2)
        loss = pair_loss(pred(z1), t2) + pair_loss(pred(z2), t1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for pt, po in zip(target.parameters(), online.parameters()):
                pt.mul_(tau).add_(po, alpha=1 - tau)
            f = torch.cat([z1, z2]).detach().double()
            corr = f.T @ f / f.shape[0]
            f_hat = corr if f_hat is None else rho * f_hat + (1 - rho) * corr
            s, u = torch.linalg.eigh(f_hat)
            s = s.clamp(min=0)
            pw = (s / s.max()).sqrt() + eps
            pred.weight.copy_(((u * pw) @ u.T).float())
            losses.append(float(loss))
            if (step + 1) % spectra_every == 0 or step + 1 == a.steps:
                torch.linalg.eigvalsh(f_hat)
                torch.linalg.eigvalsh(0.5 * (pred.weight + pred.weight.T).double())
                stats(online, pool_stats)
    train_sec = time.perf_counter() - t_train
    final = evaluate(online, pool, xtr, ytr, xte, yte, classes, epochs, gen)
    stats(online, pool_stats)
    print(json.dumps({
        "engine": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(), "rates": [],
        "wallSec": time.perf_counter() - T_START, "cpuSec": time.process_time(), "trainSec": train_sec,
        "baseline": {"probeAcc": base[0], "knnAcc": base[1]}, "probeAcc": final[0], "knnAcc": final[1],
        "finalLoss": sum(losses[-10:]) / len(losses[-10:]),
    }))


if __name__ == "__main__":
    main()
