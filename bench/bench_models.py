"""Throughput of the three models: training (forward + backward + Adam step) and inference.

Inputs are 3-s chunks with the paper's mel config (192 bands x 988 frames, hop 67) and
the authors' code config (192 x 259, hop 256). Runs on the CPU, and on CUDA when present
(then also prints the speed-up). Usage::

    python bench/bench_models.py [--batch 4] [--iters 3] [--models base_crnn resnet18]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from genrelib.config import ChunkConfig, MelConfig
from genrelib.models import DEEP_MODELS, build_model


def frames_for(mel: MelConfig, chunk_seconds: float = 3.0) -> int:
    """Frames of one chunk under ``mel``."""
    return mel.n_frames(ChunkConfig(chunk_seconds=chunk_seconds).chunk_samples)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def throughput(
    name: str, shape: tuple[int, ...], device: torch.device, iters: int, train: bool
) -> float:
    """Chunks per second of ``iters`` timed steps after one warm-up step."""
    torch.manual_seed(0)
    model = build_model(name, n_mels=shape[2]).to(device)
    x = torch.randn(*shape, device=device)
    y = torch.randint(0, 10, (shape[0],), device=device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    model.train(train)

    def step() -> None:
        if train:
            optimizer.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        else:
            with torch.no_grad():
                model(x)

    step()
    _sync(device)
    started = time.perf_counter()
    for _ in range(iters):
        step()
    _sync(device)
    return iters * shape[0] / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=list(DEEP_MODELS), choices=DEEP_MODELS)
    args = parser.parse_args()
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    rows = []
    for mel in (MelConfig.paper(), MelConfig.authors_code()):
        shape = (args.batch, 1, mel.n_mels, frames_for(mel))
        for name in args.models:
            for device in devices:
                for mode in ("train", "infer"):
                    rate = throughput(name, shape, device, args.iters, mode == "train")
                    rows.append(
                        {
                            "mel": mel.name,
                            "input": f"{shape[2]}x{shape[3]}",
                            "model": name,
                            "device": device.type,
                            "mode": mode,
                            "chunks_per_s": rate,
                        }
                    )
                    print(
                        f"{mel.name:13s} {name:14s} {device.type:5s} {mode:5s} {rate:9.1f}/s",
                        flush=True,
                    )
    table = pd.DataFrame(rows).pivot_table(
        index=["mel", "input", "model"], columns=["device", "mode"], values="chunks_per_s"
    )
    if "cuda" in table.columns.get_level_values("device"):
        for mode in ("train", "infer"):
            table[("speed-up", mode)] = table[("cuda", mode)] / table[("cpu", mode)]
    print(
        f"\nchunks/s; batch {args.batch}, {args.iters} timed iterations, "
        f"torch threads {torch.get_num_threads()}"
    )
    print(table.round(1).to_string())


if __name__ == "__main__":
    main()
