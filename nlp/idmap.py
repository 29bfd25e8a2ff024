"""IdMap: a mapping from spaCy string ids (64-bit hashes) to numbers, answered for a whole array.

A doc holds a few thousand distinct strings; looking each one up in a Python dict cost about
as much as spaCy's tokenizer. Keys kept sorted in a numpy array are looked up for all of them
with one searchsorted; only strings never seen before need Python.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy


class IdMap:
    def __init__(self, dtype: str, limit: int | None = None) -> None:
        self.dtype = dtype
        # get() empties the map when new ids would take it past `limit` entries, so a long
        # run's vocabulary does not pile up (as patterns.Memo does for dicts).
        self.limit = limit
        self.clear()

    def clear(self) -> None:
        # One tuple, replaced whole: a thread reading it never sees keys and values of two versions.
        self._arrays = (numpy.zeros(0, dtype="uint64"), numpy.zeros(0, dtype=self.dtype))

    def __len__(self) -> int:
        return len(self._arrays[0])

    def lookup(self, ids: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
        """(values, known): each id's value (0 where unknown) and whether it is known."""
        keys, values = self._arrays
        ids = numpy.asarray(ids, dtype="uint64")
        if not len(keys):
            return numpy.zeros(len(ids), dtype=self.dtype), numpy.zeros(len(ids), dtype=bool)
        at = numpy.minimum(numpy.searchsorted(keys, ids), len(keys) - 1)
        known = keys[at] == ids
        return numpy.where(known, values[at], 0).astype(self.dtype), known

    def add(self, ids: numpy.ndarray, new_values: numpy.ndarray) -> None:
        """Add ids that are not in the map yet (distinct) with their values."""
        keys, values = self._arrays
        order = numpy.argsort(ids, kind="stable")
        ids = numpy.asarray(ids, dtype="uint64")[order]
        at = numpy.searchsorted(keys, ids)
        self._arrays = (numpy.insert(keys, at, ids), numpy.insert(values, at, numpy.asarray(new_values)[order]))

    def get(self, ids: numpy.ndarray, compute: Callable[[list[int]], Iterable[int]]) -> numpy.ndarray:
        """Each id's value; ids not known yet get theirs from `compute` (called once, with a list
        of the new ids, returning their values in order) and are remembered."""
        ids = numpy.asarray(ids, dtype="uint64")
        found, known = self.lookup(ids)
        new = numpy.flatnonzero(~known)
        if self.limit is not None and len(self) + len(new) > self.limit:
            self.clear()
            found, new = numpy.zeros(len(ids), dtype=self.dtype), numpy.arange(len(ids))
        if len(new):
            new_ids = ids[new]
            new_values = numpy.fromiter(compute(new_ids.tolist()), dtype=self.dtype, count=len(new))
            self.add(new_ids, new_values)
            found[new] = new_values
        return found
