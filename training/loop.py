"""The one epoch loop of every trainer: shuffled mini-batches over epochs, one progress bar.

The autoencoder trainers, the audiocoders (AC-SNN and AC-ANN) and the digit classifier all
walk their data as ``batches(...)`` yields it; what differs between them is only how an
epoch's order is drawn (``order_of``) and what a batch does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from tqdm import tqdm


@dataclass(frozen=True)
class Batch:
    """One mini-batch: ``number`` counts from 1 over the whole run, ``epoch`` and ``index``
    from 0 within it; ``items``: int64 indices ``[<= batch_size]`` into the data;
    ``last_in_epoch``: True for the epoch's final batch."""

    number: int
    epoch: int
    index: int
    items: torch.Tensor
    last_in_epoch: bool


def randperm_orders(n: int, generator: torch.Generator) -> Callable[[int], torch.Tensor]:
    """``order_of`` for ``batches``: a fresh permutation of ``n`` drawn from ``generator`` at the
    start of each epoch (so draws the batches make from the same generator interleave with it
    exactly as in a hand-written loop)."""
    return lambda epoch: torch.randperm(n, generator=generator)


class batches:
    """Iterate ``epochs`` epochs of mini-batches of ``batch_size`` items out of ``n``.

    order_of(epoch) -> int64 ``[n]``: the epoch's order, called once when the epoch's first
    batch is due. start: batches already done (``--resume``): iteration begins at batch
    ``start + 1`` (the orders of skipped epochs are not drawn, so ``order_of`` must not depend
    on earlier calls when ``start > 0``). The progress bar (``self.bar``, tqdm, disabled unless
    ``progress``) counts batches and is closed when the loop ends, however it ends.
    """

    def __init__(self, n: int, batch_size: int, epochs: int, order_of: Callable[[int], torch.Tensor],
                 desc: str = "train", progress: bool = True, start: int = 0):
        self.n, self.batch_size, self.epochs, self.order_of = n, batch_size, epochs, order_of
        self.per_epoch = math.ceil(n / batch_size)
        self.total = epochs * self.per_epoch
        self.start = start
        self.bar = tqdm(total=self.total, initial=start, desc=desc, unit="batch", disable=not progress)

    def __len__(self) -> int:
        return self.total - self.start

    def __iter__(self) -> Iterator[Batch]:
        order, order_epoch = None, None
        try:
            for number in range(self.start + 1, self.total + 1):
                epoch, index = divmod(number - 1, self.per_epoch)
                if epoch != order_epoch:
                    order, order_epoch = self.order_of(epoch), epoch
                items = order[index * self.batch_size:(index + 1) * self.batch_size]
                yield Batch(number, epoch, index, items, index == self.per_epoch - 1)
                self.bar.update(1)
        finally:
            self.bar.close()
