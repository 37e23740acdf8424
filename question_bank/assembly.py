"""Per-candidate papers from a blueprint and a pool: every paper meets the blueprint, rebuilt exactly from its seed."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ground.i18n import _
from question_bank.blueprint import Blueprint, Draw, Section

_PERM_LIMIT = 6  # option orders for up to 6 options are precomputed (720 permutations) and picked by index


@dataclass(frozen=True)
class PoolItem:
    """One deliverable item version as assembly sees it: no text, no points, just what drawing needs."""

    version_id: int
    subtest: str
    category: str | None
    difficulty: str | None
    option_ids: tuple[int, ...]
    kind: str = "single"


class StockError(ValueError):
    """The bank cannot fill the blueprint; ``problems`` says what is missing, section by section."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def matches(draw: Draw, item: PoolItem) -> bool:
    """Whether ``item`` may fill ``draw`` (its category and difficulty, where the draw names them)."""
    return (draw.category is None or item.category == draw.category) and (
        draw.difficulty is None or item.difficulty == draw.difficulty
    )


def _describe(draw: Draw) -> str:
    category, difficulty = repr(draw.category), repr(draw.difficulty)
    if draw.difficulty is None:
        return _("category %(category)s", category=category)
    if draw.category is None:
        return _("difficulty %(difficulty)s", difficulty=difficulty)
    return _("category %(category)s and difficulty %(difficulty)s", category=category, difficulty=difficulty)


def _max_flow(needs: Sequence[int], sizes: Sequence[int], edges: Sequence[Sequence[int]]) -> list[dict[int, int]]:
    """Allocate draws to item classes (draw d may use class c if c in edges[d]); augmenting paths on a tiny graph."""
    alloc: list[dict[int, int]] = [dict.fromkeys(e, 0) for e in edges]
    used = [0] * len(sizes)
    for d in range(len(needs)):
        for _unit in range(needs[d]):
            # BFS from draw d to a class with spare room, possibly re-routing other draws' units
            parent: dict[tuple[str, int], tuple[str, int] | None] = {("d", d): None}
            queue = [("d", d)]
            found: tuple[str, int] | None = None
            while queue and found is None:
                node = queue.pop(0)
                if node[0] == "d":
                    for c in edges[node[1]]:
                        if ("c", c) not in parent:
                            parent[("c", c)] = node
                            if used[c] < sizes[c]:
                                found = ("c", c)
                                break
                            queue.append(("c", c))
                else:
                    c = node[1]
                    for d2 in range(len(edges)):
                        if alloc[d2].get(c, 0) > 0 and ("d", d2) not in parent:
                            parent[("d", d2)] = node
                            queue.append(("d", d2))
            if found is None:
                return []
            used[found[1]] += 1
            node2: tuple[str, int] | None = found
            while node2 is not None and parent[node2] is not None:
                prev = parent[node2]
                assert prev is not None
                if node2[0] == "c":  # prev is a draw taking one more from this class
                    alloc[prev[1]][node2[1]] += 1
                else:  # prev is a class that draw node2 gives one unit back to
                    alloc[node2[1]][prev[1]] -= 1
                node2 = prev
    return alloc


class _SectionPlan:
    """Precomputed drawing plan of one section: exclusive draws, allocated classes, and the free rest."""

    def __init__(self, section: Section, items: list[PoolItem]) -> None:
        self.section = section
        self.items = items
        self.problems: list[str] = []
        self.direct: list[tuple[list[int], int]] = []  # (eligible indices, count) sampled as a whole
        self.by_class: list[tuple[list[int], int]] = []  # (class indices, how many) from the allocation
        code = section.code
        if len(items) < section.count:
            self.problems.append(
                _(
                    "%(code)s: %(needed)s items needed, %(have)s in the bank",
                    code=code,
                    needed=section.count,
                    have=len(items),
                )
            )
        classes: dict[tuple[str | None, str | None], list[int]] = {}
        for i, it in enumerate(items):
            classes.setdefault((it.category, it.difficulty), []).append(i)
        keys = list(classes)
        edges = [[c for c, k in enumerate(keys) if matches(d, items[classes[k][0]])] for d in section.draws]
        for d, e in zip(section.draws, edges, strict=True):
            have = sum(len(classes[keys[c]]) for c in e)
            if have < d.count:
                self.problems.append(
                    _(
                        "%(code)s: %(needed)s items of %(what)s needed, %(have)s in the bank",
                        code=code,
                        needed=d.count,
                        what=_describe(d),
                        have=have,
                    )
                )
        self.pinned = sum(d.count for d in section.draws)
        self.rest = section.count - self.pinned
        if self.problems or not section.draws:
            return
        shared = {c for c in range(len(keys)) if sum(c in e for e in edges) > 1}
        alloc = _max_flow([d.count for d in section.draws], [len(classes[k]) for k in keys], edges)
        if not alloc:
            self.problems.append(
                _(
                    "%(code)s: the draws overlap and the bank cannot fill all of them at once"
                    " (%(pinned)s items pinned)",
                    code=code,
                    pinned=self.pinned,
                )
            )
            return
        need_by_class: dict[int, int] = {}
        for d, e in enumerate(edges):
            if not shared.intersection(e):
                self.direct.append(([i for c in e for i in classes[keys[c]]], section.draws[d].count))
            else:
                for c, n in alloc[d].items():
                    if n:
                        need_by_class[c] = need_by_class.get(c, 0) + n
        self.by_class = [(classes[keys[c]], n) for c, n in sorted(need_by_class.items())]

    def draw(self, rng: random.Random) -> list[int]:
        """Indices (into ``items``) of one candidate's items for this section, in drawn order."""
        n = len(self.items)
        if not self.section.draws:
            return rng.sample(range(n), self.section.count)
        chosen: list[int] = []
        for eligible, count in self.direct:
            chosen.extend(rng.sample(eligible, count))
        for members, count in self.by_class:
            chosen.extend(rng.sample(members, count))
        if self.rest:
            # the first `rest` unused items of a random ordering are a uniform draw from the unused ones
            taken = set(chosen)
            extra = [i for i in rng.sample(range(n), min(n, self.rest + len(taken))) if i not in taken]
            chosen.extend(extra[: self.rest])
        return chosen


class Assembler:
    """Build many papers for one blueprint and pool; the per-pool work is done once, in the constructor."""

    def __init__(self, bp: Blueprint, pool: Iterable[PoolItem]) -> None:
        self.bp = bp
        pool = list(pool)
        by_subtest: dict[str, list[PoolItem]] = {}
        for it in sorted(pool, key=lambda p: p.version_id):
            by_subtest.setdefault(it.subtest, []).append(it)
        self.plans = [_SectionPlan(s, by_subtest.get(s.code, [])) for s in bp.sections]
        self.problems = [p for plan in self.plans for p in plan.problems]
        self._perms = {k: list(itertools.permutations(range(k))) for k in range(2, _PERM_LIMIT + 1)}

    def paper(self, seed: int) -> dict[str, Any]:
        """The ``Paper.layout`` for ``seed``; the same seed always gives the same paper."""
        if self.problems:
            raise StockError(self.problems)
        rng = random.Random(seed)
        shuffle_q, shuffle_o = self.bp.shuffle_questions, self.bp.shuffle_options
        subtests = []
        for plan in self.plans:
            picked = plan.draw(rng)
            if shuffle_q:
                rng.shuffle(picked)
            else:
                picked.sort()
            questions = []
            for i in picked:
                it = plan.items[i]
                opts = it.option_ids
                if shuffle_o and it.kind != "truefalse" and len(opts) > 1:
                    perms = self._perms.get(len(opts))
                    if perms is not None:
                        order = perms[rng.randrange(len(perms))]
                        opts = tuple(opts[j] for j in order)
                    else:
                        lst = list(opts)
                        rng.shuffle(lst)
                        opts = tuple(lst)
                # "m": a multiple-response question (checkboxes, a set of answers); the sealed paper says so too
                question: dict[str, Any] = {"v": it.version_id, "o": list(opts)}
                if it.kind == "multiple":
                    question["m"] = True
                questions.append(question)
            subtests.append({"code": plan.section.code, "title": plan.section.title, "questions": questions})
        return {"subtests": subtests}


def stock_problems(bp: Blueprint, pool: Iterable[PoolItem]) -> list[str]:
    """What the bank lacks to fill every section of ``bp`` (empty list: every paper can be built)."""
    return Assembler(bp, pool).problems


def assemble(bp: Blueprint, pool: Iterable[PoolItem], seed: int) -> dict[str, Any]:
    """One paper layout; raises :class:`StockError` when the pool cannot fill the blueprint."""
    return Assembler(bp, pool).paper(seed)
