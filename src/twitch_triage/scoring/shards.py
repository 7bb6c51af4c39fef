"""A run over a folder or a glob of case files: planned (the shards done before skipped) and run on an engine, one
output per input, of the same name, and a manifest beside them that lets a rerun skip the shards already done.

Each shard is one :class:`~twitch_triage.scoring.task.Job` that an engine runs with
:func:`~twitch_triage.scoring.task.score_shard`: Dask on its workers (:mod:`twitch_triage.scoring.dask_engine`),
and the local engine here, which scores runs of small shards together (:mod:`twitch_triage.scoring.groups`:
each output and record exactly as alone).
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .. import knowledge
from ..io.digest import file_sha256
from ..io.files import InputError, shown
from ..model import artifact
from ..model.manifest import models_folder
from ..settings import Settings
from . import groups
from . import manifest as manifests
from .manifest import SHARD_MANIFEST_NAME
from .memory import lean_memory_pool
from .stream import ScoreSummary
from . import task
from .task import Job, Result

__all__ = ["Plan", "ShardsSummary", "names_shards", "find", "plan", "run", "local_engine"]


def names_shards(source: str) -> bool:
    """Whether ``source`` names a folder or a glob of shards rather than one file (or ``-``)."""
    return source != "-" and (os.path.isdir(source) or (glob.has_magic(source) and not os.path.exists(source)))


def find(source: str) -> list[Path]:
    """The shards ``source`` names, sorted by name: a folder's ``*.csv`` files, or the files a glob matches
    (hidden files left out, as a shell leaves them out).

    Raises
    ------
    InputError
        Nothing matches, or two shards have the same name (their outputs would be one file).
    """
    if os.path.isdir(source):
        found = [p for p in Path(source).iterdir() if p.suffix.lower() == ".csv" and not p.name.startswith(".")]
        where = f"the folder {shown(source)} holds no CSV file (*.csv): give a folder of CSV shards or a glob"
    else:
        found = [Path(p) for p in glob.glob(source)]
        where = (f"{shown(source)} matches no file: check the pattern (quote it, so that the shell leaves it to "
                 "twitch-triage)")
    shards = sorted((p for p in found if p.is_file()), key=lambda p: (p.name, str(p)))
    if not shards:
        raise InputError(where)
    for first, second in zip(shards, shards[1:]):
        if first.name == second.name:
            raise InputError(f"{shown(first)} and {shown(second)} have the same name, and each output shard is named after "
                             "its input: score them into two output folders")
    return shards


def local_engine(jobs: list[Job]) -> Iterator[Result]:
    """The local engine: the shards one after the other, in this process, which it sets up to score files; runs
    of small shards with the same header scored together (:mod:`~twitch_triage.scoring.groups`: each output and
    record exactly those of the shard scored alone)."""
    lean_memory_pool()
    return groups.score_jobs(jobs)


def _same_file(path: str, size: Any, sha256: Any) -> bool:
    """Whether the file at ``path`` has this size and SHA-256 (the size first: a cheap no)."""
    try:
        return os.stat(path).st_size == size and file_sha256(path) == sha256
    except OSError:
        return False


def _ours(record: dict, output: str) -> bool:
    """Whether the file at ``output`` is the one ``record`` says this command wrote (by its SHA-256; by its size
    in a manifest written before output hashes were recorded)."""
    if record.get("status") != "done":
        return False
    if "output_sha256" in record:
        return _same_file(output, record.get("output_size"), record["output_sha256"])
    try:
        return os.stat(output).st_size == record.get("output_size")
    except OSError:
        return False


def _done(record: dict | None, job: Job) -> bool:
    """Whether ``record`` says the shard was done with this model, knowledge base and ``--strict``, from the input
    there now (its SHA-256), into the output there now (its SHA-256)."""
    if record is None or record.get("status") != "done" or "output_sha256" not in record:
        return False
    if not all(record.get(k) == getattr(job, k) for k in ("model_sha256", "kb_sha256", "strict")):
        return False
    return _same_file(job.source, record.get("size"), record.get("sha256")) and _ours(record, job.output)


@dataclass(frozen=True)
class Plan:
    """The jobs of a run over shards, its manifest's path, the records kept from the previous run's manifest,
    and whether the model is older than the knowledge base."""

    jobs: list[Job]
    manifest: Path
    records: dict[str, dict]
    stale: bool
    lock: int | None = None  # the output folder's lock, held until the run ends

    @property
    def folder(self) -> Path:
        return self.manifest.parent

    def release(self) -> None:
        """Let another run write into the output folder."""
        if self.lock is not None:
            os.close(self.lock)
            object.__setattr__(self, "lock", None)


def plan(source: str, output: str, *, model: str | os.PathLike | None, kb: str | os.PathLike | None,
         strict: bool = False, force: bool = False) -> Plan:
    """Plan scoring the shards ``source`` names into the folder ``output`` (created if missing; its parent
    must exist), after loading the model and the knowledge base here once, to check them.

    Each job carries the manifest's record of its shard when that shard was done before with the same
    model, knowledge base and ``strict`` (none with ``force``, which also starts a new manifest).

    Raises
    ------
    InputError
        No shard; ``output`` is a file, or the folder of an input shard (it would replace them); the
        model or knowledge base is unusable; the manifest is unreadable (and not ``force``).
    """
    shards = find(source)
    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"-o {shown(output)} is a file: scoring a folder or a glob of shards writes a folder, "
                         "one output shard per input; give a folder")
    if folder.is_dir():
        for shard in shards:
            if shard.parent.resolve() == folder.resolve():
                raise InputError(f"-o {shown(output)} is the folder of the input shard {shown(shard)}: each output shard "
                                 "is named after its input and would replace it; choose another folder")
    for reserved, what in ((SHARD_MANIFEST_NAME, "manifest"), (manifests.JOURNAL_NAME, "journal")):
        if any(shard.name == reserved for shard in shards):
            raise InputError(f"an input shard is named {reserved}, the name of the run's {what}: rename it")
    models = models_folder(model).resolve()
    kb_path = Path(kb or Settings.from_environment().kb_path).resolve()
    loaded = knowledge.load_default(kb_path)
    model_sha256 = artifact.read_manifest(models)["inference_sha256"]
    predictor = task.load(str(models), str(kb_path), model_sha256, loaded.sha256).predictor
    try:
        folder.mkdir(exist_ok=True)
    except FileNotFoundError:
        raise InputError(f"the folder {shown(folder.parent)} of -o {shown(output)} does not exist: create it, "
                         "or choose another output folder") from None
    except OSError as exc:
        raise InputError(f"cannot create the output folder {shown(output)}: {exc.strerror or exc}") from None
    folder = folder.resolve()  # every path resolved before anything is written
    held = manifests.lock(folder)
    try:
        records = manifests.read(folder, force=force)
        jobs = _jobs(shards, folder, records, force, Job("", "", str(models), str(kb_path), model_sha256,
                                                          loaded.sha256, strict))
        if _drop_gone(folder, records, {shard.name for shard in shards}) or (folder / manifests.JOURNAL_NAME).exists():
            manifests.compact(folder, records)
    except BaseException:
        os.close(held)
        raise
    return Plan(jobs, folder / SHARD_MANIFEST_NAME, records, predictor.stale, held)


def _jobs(shards: list[Path], folder: Path, records: dict[str, dict], force: bool, like: Job) -> list[Job]:
    """The jobs, after refusing any output that is, or leads to, an input or a place outside ``folder``, or a file
    there this command did not write."""
    inputs: dict[tuple[int, int], Path] = {}
    for shard in shards:
        found = os.stat(shard)
        inputs[(found.st_dev, found.st_ino)] = shard
        if Path(os.path.realpath(shard)).parent == folder:
            raise InputError(f"the input shard {shown(shard)} is in the output folder {shown(folder)} (through a "
                             "link): its output would replace it; choose another folder")
    # a folder this command wrote into (its manifest or journal there): an output named after a shard is one it
    # wrote, also one renamed into place by a run stopped before recording it
    ours_folder = os.path.isfile(folder / SHARD_MANIFEST_NAME) and manifests.is_ours(folder / SHARD_MANIFEST_NAME) \
        or os.path.isfile(folder / manifests.JOURNAL_NAME)
    jobs = []
    for shard in shards:
        output = folder / shard.name
        job = dataclasses.replace(like, source=str(shard.resolve()), output=str(output))
        record = records.get(shard.name)
        if manifests.is_regular(output):  # (a link, a FIFO, a device... refused there)
            found = os.stat(output)
            if (found.st_dev, found.st_ino) in inputs:
                raise InputError(f"the output {shown(output)} is the input shard "
                                 f"{shown(inputs[(found.st_dev, found.st_ino)])} (a hard link): writing it would "
                                 "destroy the input; choose another folder")
            if not ours_folder and (record is None or not _ours(record, str(output))):
                raise InputError(f"{shown(output)} is there already and this command did not write it (or it was "
                                 "changed since): it is never replaced, also not with --force; move it away, or "
                                 "choose another folder")
        jobs.append(dataclasses.replace(job, previous=record) if not force and _done(record, job) else job)
    return jobs


def _drop_gone(folder: Path, records: dict[str, dict], names: set[str]) -> bool:
    """Drop the records (and remove the outputs this command wrote) of shards whose input is gone, and the
    records of outputs deleted since: whether any was dropped."""
    dropped = False
    for name, record in list(records.items()):
        output = folder / name
        if name in names:
            continue
        gone = not os.path.exists(record.get("path", ""))
        if gone or not os.path.lexists(output):
            if gone and _ours(record, str(output)):
                os.unlink(output)
            del records[name]
            dropped = True
    return dropped


@dataclass
class ShardsSummary:
    """What a run over shards did: the rows of the shards scored now, and how many were skipped or failed."""

    scored: ScoreSummary
    shards: int
    skipped: int = 0
    failed: list[str] = field(default_factory=list)  # the failed shards' one-line errors

    def line(self) -> str:
        done = self.shards - len(self.failed)
        return (f"{self.scored.line()}; {done:,} of {self.shards:,} shard{'s' * (self.shards != 1)} done "
                f"({self.skipped:,} skipped: done before), {len(self.failed):,} failed")


def run(plan: Plan, engine: Callable[[list[Job]], Iterable[Result]], *, progress: bool = False,
        on_warning: Callable[[str], None] | None = None) -> ShardsSummary:
    """Run the plan's jobs on ``engine`` (results in any order), writing the manifest after each shard: an
    interrupted run leaves every shard done so far recorded. Shows shards done / total and rows/s on
    standard error (when ``progress`` and it is a terminal); ``on_warning`` gets each shard's warnings,
    prefixed with its name."""
    from tqdm import tqdm

    records = dict(plan.records)
    summary = ShardsSummary(ScoreSummary(), len(plan.jobs))
    start = time.perf_counter()
    todo = [job for job in plan.jobs if job.previous is None]  # (decided before any engine, or cluster, starts)
    summary.skipped = len(plan.jobs) - len(todo)
    journal = manifests.Journal(plan.folder) if todo else None
    try:
        # A shard is seconds of work: every one done is drawn (tqdm's default skips updates within 0.1 s)
        with tqdm(total=len(plan.jobs), initial=summary.skipped, unit="shard", desc="scoring",
                  disable=None if progress else True, leave=False, file=sys.stderr, mininterval=0,
                  miniters=1) as bar:
            for result in engine(todo) if todo else ():
                record = result.record
                records[result.name] = record
                journal.add(record)  # one line: O(the record), not O(the manifest)
                if record["status"] == "failed":
                    summary.failed.append(record["error"])
                else:
                    summary.scored.rows += record["rows_out"]
                    summary.scored.rows_with_errors += record["rows_with_invalid_cells"]
                    for level, count in record["dispositions"].items():
                        summary.scored.dispositions[level] += count
                    for warning in record["warnings"] if on_warning is not None else ():
                        on_warning(f"{shown(result.name)}: {warning}")
                bar.set_postfix_str(f"{summary.scored.rows / (time.perf_counter() - start):,.0f} rows/s",
                                    refresh=False)
                bar.update(1)  # (drawn with the rate)
    finally:
        if journal is not None:
            journal.close()
        try:
            if journal is not None or not plan.manifest.exists():
                # once per run (also one stopped by a signal; a run killed outright leaves its journal, which the
                # next run reads)
                with contextlib.suppress(OSError, InputError):
                    manifests.compact(plan.folder, records)
        finally:
            plan.release()
    return summary
