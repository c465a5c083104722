"""Vega-Lite specs to SVG, PNG and PDF with vl-convert, on every core.

A spawn-based process pool: a forked child inherits vl-convert's JavaScript runtime threads in
a broken state and hangs, so children are spawned. Each worker warms up its converter once (the
first conversion loads the Vega bundle), then converts many specs. workers=1 stays in-process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import vl_convert as vlc

WARMUP_SPEC: dict[str, Any] = {
    "data": {"values": [{"x": 1}]},
    "mark": "point",
    "encoding": {"x": {"field": "x", "type": "quantitative"}},
}
MIN_PNG_WIDTH_PX = 1600

_T = TypeVar("_T")
_R = TypeVar("_R")
_warm = False


def warm_up() -> None:
    """Load the converter's Vega bundle once per process (the pool's initializer)."""
    global _warm
    if not _warm:
        vlc.vegalite_to_svg(WARMUP_SPEC, allowed_base_urls=[])
        _warm = True


def spec_to_svg(spec: dict[str, Any]) -> str:
    """One spec as SVG; external data is refused, so rendering never touches the network."""
    warm_up()
    return str(vlc.vegalite_to_svg(spec, allowed_base_urls=[]))


@dataclass(frozen=True)
class FileJob:
    """One chart written as files: `<stem>.<fmt>` for each format."""

    spec: dict[str, Any]
    stem: Path
    formats: tuple[str, ...]


def write_chart_files(job: FileJob) -> list[Path]:
    """Render once to SVG, then derive PNG and PDF from that SVG (cheaper than re-running Vega).

    PNG is scaled so the image is at least MIN_PNG_WIDTH_PX wide (slide resolution).
    """
    svg = spec_to_svg(job.spec)
    job.stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in job.formats:
        path = job.stem.with_suffix(f".{fmt}")
        if fmt == "svg":
            path.write_text(svg, encoding="utf-8")
        elif fmt == "png":
            path.write_bytes(vlc.svg_to_png(svg, scale=png_scale(svg)))
        elif fmt == "pdf":
            path.write_bytes(vlc.svg_to_pdf(svg))
        else:
            raise ValueError(f"unknown chart format {fmt!r} (known: png, svg, pdf)")
        written.append(path)
    return written


def png_scale(svg: str) -> float:
    """The scale that makes the SVG at least MIN_PNG_WIDTH_PX wide, and at least 2."""
    head = svg[: svg.find(">")]
    marker = 'width="'
    start = head.find(marker) + len(marker)
    width = float(head[start : head.find('"', start)])
    # Half a pixel more, so that rounding the product down never lands a pixel short.
    return max(2.0, (MIN_PNG_WIDTH_PX + 0.5) / width)


def parallel_map(
    function: Callable[[_T], _R],
    items: Sequence[_T],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    on_done: Callable[[int], None] | None = None,
) -> list[_R]:
    """function over items, in order: serially for workers ≤ 1, else in a spawn pool.

    initializer(*initargs) runs once per worker (and once in-process on the serial path), so
    large shared inputs are sent once per worker rather than once per item. on_done(i) is
    called as item i finishes, in finishing order (for a progress display).
    """
    done = on_done or (lambda _index: None)
    if workers <= 1 or len(items) <= 1:
        if initializer is not None:
            initializer(*initargs)
        results = []
        for index, item in enumerate(items):
            results.append(function(item))
            done(index)
        return results
    context = multiprocessing.get_context("spawn")

    with ProcessPoolExecutor(
        max_workers=min(workers, len(items)),
        mp_context=context,
        initializer=_start_worker,
        initargs=(initializer, initargs),
    ) as pool:
        # Every item is submitted at once, so a worker never waits for a slow neighbour.
        futures = {pool.submit(function, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            future.result()  # raise a worker's error at once
            done(futures[future])
        return [future.result() for future in futures]


def _start_worker(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    warm_up()
    if initializer is not None:
        initializer(*initargs)
