"""Data-parallel training with ``torch.distributed``: set up by ``torchrun``, used by the loop.

``torchrun --nproc-per-node N -m genrelib train ...`` starts N processes with ``RANK``,
``LOCAL_RANK`` and ``WORLD_SIZE`` set; :func:`setup` joins them into a process group
(NCCL on GPUs, gloo on CPUs), each process takes one GPU (``cuda:LOCAL_RANK``) or a
share of the CPU cores, and the model is wrapped in ``DistributedDataParallel``.

Every global batch of ``batch_size`` chunks is dealt out round-robin, ``batch_size / N``
chunks to each process, so the averaged gradient is that of the same batch on one
process; batch-norm statistics are per process, and dropout masks differ, which is
why results equal one process's only within a tolerance (see tests/test_distributed.py).
Validation is sharded the same way and its sums are added up across processes. Only
rank 0 writes checkpoints, history files and results.

Notebook: 04_base_crnn (the note on scaling out).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Distributed:
    """This process's place in a (possibly one-process) run.

    Notebook: 04_base_crnn.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1

    @property
    def enabled(self) -> bool:
        """True when more than one process trains."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on rank 0, the only process that writes files."""
        return self.rank == 0

    def shard(self, indices: list[int]) -> list[int]:
        """This rank's share of ``indices``: every ``world_size``-th, padded to equal length.

        Padding repeats the first indices (as ``DistributedSampler`` does), so every rank
        runs the same number of batches.
        """
        if not self.enabled:
            return indices
        padded = indices + indices[: (-len(indices)) % self.world_size]
        return padded[self.rank :: self.world_size]

    def sum(self, values: list[float]) -> list[float]:
        """Add ``values`` up over all processes (identity on one process)."""
        if not self.enabled:
            return values
        tensor = torch.tensor(values, dtype=torch.float64)
        if dist.get_backend() == "nccl":
            tensor = tensor.cuda()
        dist.all_reduce(tensor)
        return tensor.cpu().tolist()

    def gather(self, value) -> list:
        """Every process's ``value`` (picklable), in rank order."""
        if not self.enabled:
            return [value]
        values = [None] * self.world_size
        dist.all_gather_object(values, value)
        return values

    def sync_buffers(self, model: nn.Module) -> None:
        """Copy rank 0's buffers (batch-norm running statistics) to every process."""
        if self.enabled:
            for buffer in model.buffers():
                dist.broadcast(buffer.data, src=0)

    def barrier(self) -> None:
        """Wait until every process gets here (no-op on one process)."""
        if self.enabled:
            dist.barrier()

    def wrap(self, model: nn.Module) -> nn.Module:
        """``model`` in ``DistributedDataParallel`` when several processes train."""
        if not self.enabled:
            return model
        device = next(model.parameters()).device
        ids = [device.index] if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def current() -> Distributed:
    """This process's rank and world size from the torchrun environment (1 process without it).

    Notebook: 04_base_crnn.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Distributed()
    return Distributed(
        rank=int(os.environ.get("RANK", "0")),
        world_size=world_size,
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        local_world_size=int(os.environ.get("LOCAL_WORLD_SIZE", str(world_size))),
    )


def setup(device: torch.device) -> Distributed:
    """Join the process group torchrun describes (once per process); return this rank's place.

    On CUDA each process uses ``cuda:LOCAL_RANK`` and NCCL; elsewhere gloo.
    """
    place = current()
    if place.enabled and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(place.local_rank)
        dist.init_process_group(backend=backend)
    return place


def barrier() -> None:
    """Wait for every process of a distributed run (no-op otherwise).

    Notebook: 04_base_crnn.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def is_main_process() -> bool:
    """True unless this is a torchrun process of rank > 0.

    Notebook: 04_base_crnn.
    """
    return current().is_main
