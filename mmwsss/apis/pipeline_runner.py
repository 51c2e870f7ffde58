"""The runner behind ``tools/run_pipeline.py`` and ``tools/run_stage.py``:
the stages a method config declares, in the order their needs give, each
cached and resumable through its manifest.

The runner knows no stage and no method by name: it builds the registered
stages of the config's ``stages`` section (see
:mod:`mmwsss.stages.base_stage`) and, for each, fingerprints its settings,
its data and its upstream stages; skips it when finished, unchanged and its
outputs verify; repairs missing or corrupt outputs; resumes an interrupted
run; and re-runs a stage whose fingerprint changed, with its outdated
outputs set aside until the new run has finished. A lock keeps a second
run off the same work dir. ``report.json`` / ``report.md`` in the work dir
hold every stage's status, count, time and metrics, and the ids of the
images its datasets dropped (``on_bad_sample='skip'``); a run of some
stages keeps the others an earlier run finished with the same settings
and inputs (status ``finished earlier``).

Under W processes (torchrun or Slurm, the process group initialised
before) every rank runs the same runner: rank 0 alone fingerprints the
data, verifies and prepares each stage's folder, holds the work-dir lock
(the other ranks take none) and writes the manifests and the report; the
other ranks receive its decisions (a user error on rank 0 stops every
rank) and wait for its manifest before the next stage. Only rank 0 logs
the stages' messages. See :mod:`mmwsss.stages.base_stage` for how a stage
uses the ranks.
"""
import copy
import time
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.dist import all_gather_object, is_main_process
from mmengine.logging import print_log
from mmengine.registry import init_default_scope

from mmwsss.registry import STAGES
from mmwsss.stages.base_stage import BaseStage, StageContext
from mmwsss.stages.data_fingerprint import FileHashCache, datasets_fingerprint
from mmwsss.stages.registry_check import check_type
from mmwsss.stages.report import render_markdown
from mmwsss.stages.report_figures import write_report_figures
from mmwsss.stages.stage_manifest import StageManifest, stable_hash
from mmwsss.stages.work_dir_lock import WorkDirLock
from mmwsss.utils import InvalidInputError
from mmwsss.utils.atomic_io import atomic_write, atomic_write_json
from mmwsss.utils.collect_env import package_versions
from mmwsss.utils.dist_env import init_distributed, main_result

EXAMPLE = 'configs/baseline/gap_r38tiny_toy.py'
#: seconds a rank waits for the others before giving up (the other ranks
#: wait while rank 0 scores a whole split); ``env_cfg.dist_cfg.timeout``
#: of the config replaces it
WAIT_TIMEOUT_S = 4 * 3600


def init_pipeline_launcher(cfg: Config) -> None:
    """Initialise the process group of ``cfg.launcher`` (``'none'``,
    ``'pytorch'``, ``'slurm'``) once, before the runner is built: NCCL
    with CUDA, else gloo; timeout ``WAIT_TIMEOUT_S`` unless the config's
    ``env_cfg.dist_cfg`` sets one."""
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg') or {})
    dist_cfg.setdefault('timeout', WAIT_TIMEOUT_S)
    init_distributed(cfg.get('launcher', 'none'), dist_cfg)


def _plain(metrics: dict) -> dict:
    """Metrics with numpy scalars turned into Python numbers (JSON)."""
    return {
        k: v.item() if hasattr(v, 'item') and getattr(v, 'ndim', 1) == 0
        else v
        for k, v in metrics.items()
    }


def build_stages(cfg: Config, config_path: str = '') -> Dict[str, BaseStage]:
    """The registered stages of ``cfg.stages``, by name, in run order (each
    after the stages it needs; otherwise as declared)."""
    where = config_path or 'The config'
    section = cfg.get('stages')
    old = cfg.get('pipeline')
    if section is None and isinstance(old, dict):
        raise InvalidInputError(
            f'{where} has a `pipeline = dict(...)` stage section: it is '
            'called `stages` now (mmengine uses `pipeline` for data '
            f'transforms), each entry with a `type` (see {EXAMPLE}). Rename '
            'it, the `pseudo` entry to `refine=dict(type=\'RefineStage\', '
            '...)`.')
    if not section:
        raise InvalidInputError(
            f'{where} has no `stages` section; add stages=dict(train=dict('
            "type='TrainStage'), cams=..., refine=..., segment=...) (see "
            f'{EXAMPLE}).')
    stages = {}
    for name, opts in section.items():
        opts = dict(opts or {})
        if 'type' not in opts:
            raise InvalidInputError(
                f'stages.{name} in {where} has no `type` (e.g. '
                "'CAMStage'); see docs/en/advanced_guides/add_stage.md.")
        check_type('STAGES', opts, f'stages.{name}')
        stages[name] = STAGES.build(dict(opts, name=name))
    order: List[str] = []

    def visit(name: str, path: tuple) -> None:
        if name in order:
            return
        if name in path:
            raise InvalidInputError(
                f'stages in {where} need each other in a circle: '
                f'{" -> ".join(path + (name, ))}.')
        for need in stages[name].needs():
            if need not in stages:
                raise InvalidInputError(
                    f'stages.{name} needs a stage "{need}" that {where} does '
                    f'not declare (declared: {", ".join(stages)}).')
            visit(need, path + (name, ))
        order.append(name)

    for name in stages:
        visit(name, ())
    return {name: stages[name] for name in order}


class PipelineRunner:
    """Run the stages of one method config with caching.

    Args:
        cfg (Config): the method config with a ``stages`` section.
        work_dir (str): root of the stage folders, usually
            ``work_dirs/<config stem>``.
        config_path (str): the config file, for messages and the report.
    """

    def __init__(self, cfg: Config, work_dir: str,
                 config_path: str = '') -> None:
        self.cfg = cfg
        self.work_dir = work_dir
        self.config_path = config_path
        init_default_scope(cfg.get('default_scope', 'mmwsss'))
        self.stages = build_stages(cfg, config_path)
        self.fingerprints: Dict[str, str] = {}
        self.results: Dict[str, dict] = {}
        self.figures: List[dict] = []
        self._hashes = FileHashCache(f'{work_dir}/.file_hashes.json')

    def closure(self, names: Sequence[str]) -> List[str]:
        """``names`` and every stage they need, in run order."""
        unknown = [n for n in names if n not in self.stages]
        if unknown:
            raise InvalidInputError(
                f'Unknown stages {unknown}; {self.config_path or "the config"}'
                f' declares {", ".join(self.stages)}.')
        wanted = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name not in wanted:
                wanted.add(name)
                todo.extend(self.stages[name].needs())
        return [name for name in self.stages if name in wanted]

    def run(self,
            stages: Optional[Sequence[str]] = None,
            run_upstream: bool = True) -> dict:
        """Run ``stages`` (default: all) and the stages they need.

        Args:
            stages (Sequence[str], optional): stage names.
            run_upstream (bool): run (or resume) unfinished upstream stages;
                when False they must be finished (``tools/run_stage.py``).

        Returns:
            dict: the report.
        """
        names = list(stages or self.stages)
        visit = self.closure(names)
        for name in visit:  # validate everything before anything runs
            self.stages[name].check(self.cfg)
        lock = WorkDirLock(self.work_dir)
        main_result(lock.acquire)  # rank 0's lock; its error stops all
        try:
            for name in visit:
                self._visit(name, run_upstream or name in names)
            if is_main_process():
                self._keep_finished_earlier(visit)
            self.figures = write_report_figures(self.cfg, self.work_dir,
                                                self.stages, self.report())
            if self.figures:
                self.write_report()
        finally:
            if is_main_process():
                lock.release()
        return self.report()

    def _visit(self, name: str, may_run: bool) -> dict:
        stage = self.stages[name]
        datasets = stage.datasets(self.cfg)
        for dataset in datasets:
            if len(dataset) == 0:
                raise InvalidInputError(
                    f'Stage "{name}" reads an empty {type(dataset).__name__}'
                    f' ({getattr(dataset, "ann_file", "") or "no id list"}).'
                    ' Fix the split list or the stage\'s `split` / '
                    '`dataset` settings.')
        manifest = self._manifest(
            name, main_result(datasets_fingerprint, datasets, self._hashes))
        self.fingerprints[name] = manifest.fingerprint
        upstream = {need: self.results[need] for need in stage.needs()}
        ctx = StageContext(self.cfg, self.work_dir, name, upstream,
                           config_path=self.config_path)
        status, record = main_result(self._prepare, stage, ctx, manifest,
                                     may_run)
        if status == 'skip':
            return self._keep(name, dict(record, status='skipped'))
        start = time.perf_counter()
        try:
            if stage.distributed:
                outcome = stage.run(ctx)
            else:  # rank 0 alone; the others wait for its outcome
                outcome = main_result(stage.run, ctx)
        except BaseException:
            if (is_main_process() and status == 'stale'
                    and manifest.restore_outdated()):
                print_log(
                    f'[{name}] stopped early: the previous outputs were put '
                    'back', 'current')
            raise
        # images a dataset dropped (on_bad_sample='skip'), on every rank
        dropped = sorted({
            img_id
            for ids in all_gather_object(
                [i for d in datasets for i in getattr(d, 'skipped_ids', None)
                 or ()])
            for img_id in ids
        })
        record = main_result(self._finish, manifest, outcome, dropped,
                             status, start, stage.weights(self.cfg))
        return self._keep(name, record)

    def _manifest(self, name: str, data: str) -> StageManifest:
        """The stage's manifest for today's settings; its input hash is
        the fingerprints of the stages it needs and of its ``data``."""
        stage = self.stages[name]
        input_hash = stable_hash(
            [self.fingerprints[need] for need in stage.needs()] + [data])
        return StageManifest(f'{self.work_dir}/{name}', name,
                             stage.settings(self.cfg), input_hash)

    def _prepare(self, stage: BaseStage, ctx: StageContext,
                 manifest: StageManifest,
                 may_run: bool) -> Tuple[str, Optional[dict]]:
        """On rank 0: ``('skip', record)`` for a finished stage whose
        outputs verify, else the status to run with, the folder prepared
        (damaged outputs removed, outdated ones set aside)."""
        name = ctx.name
        while True:
            status = manifest.status()
            if status == 'done':
                record = manifest.load()
                damaged = stage.verify(ctx, record)
                if not damaged:
                    print_log(f'[{name}] unchanged and finished: skipped',
                              'current')
                    return 'skip', record
                status = 'repair'
                print_log(
                    f'[{name}] {len(damaged)} output(s) missing or corrupt '
                    f'(e.g. {damaged[0]}): redoing them', 'current')
            if not may_run:
                raise InvalidInputError(
                    f'Stage "{name}" is not finished in {self.work_dir} '
                    f'(status: {status}); run it first: python '
                    f'tools/run_stage.py {self.config_path or "CONFIG"} '
                    f'{name}')
            if status != 'repair':
                status = manifest.begin()
                if status == 'done':  # an outdated run matched again:
                    continue  # restored; verify it
            break
        print_log(
            f'[{name}] ' + dict(
                new='running',
                partial='resuming an interrupted run',
                repair='repairing',
                stale='settings or inputs changed: re-running (old outputs '
                f'kept in {manifest.outdated_dir} until this run '
                'finishes)')[status], 'current')
        return status, None

    @staticmethod
    def _finish(manifest: StageManifest, outcome: dict, dropped: list,
                status: str, start: float, weights: dict) -> dict:
        """On rank 0: the stage's manifest marked done with its record."""
        outcome = copy.copy(outcome)
        outcome['metrics'] = _plain(outcome.get('metrics', {}))
        outcome.setdefault('skipped', dropped)
        if weights:
            outcome['weights'] = weights
        record = manifest.finish(
            wall_time_s=time.perf_counter() - start, **outcome)
        manifest.discard_outdated()
        record['status'] = dict(partial='resumed', repair='repaired').get(
            status, 'ran')
        print_log(
            f'[{manifest.stage}] {record["status"]}: '
            f'{record.get("count")} items in '
            f'{record.get("wall_time_s", 0):.1f} s', 'current')
        return record

    def _keep_finished_earlier(self, visited: Sequence[str]) -> None:
        """On rank 0: the stages this run did not visit (``--stages``
        asked for others) that an earlier run finished with today's
        settings and inputs enter the report as ``finished earlier`` (their
        outputs are not re-verified), so a partial run does not drop their
        metrics from ``report.json``; outdated or unfinished ones stay out."""
        for name, stage in self.stages.items():
            if name in visited or any(need not in self.fingerprints
                                      for need in stage.needs()):
                continue
            try:
                data = datasets_fingerprint(
                    stage.datasets(self.cfg), self._hashes)
            except (InvalidInputError, OSError):
                continue  # its data changed or went: not a finished stage
            manifest = self._manifest(name, data)
            if manifest.status() == 'done':
                self.fingerprints[name] = manifest.fingerprint
                self._keep(name,
                           dict(manifest.load(), status='finished earlier'))

    def _keep(self, name: str, record: dict) -> dict:
        self.results[name] = record
        if is_main_process():
            self.write_report()
        return record

    def report(self) -> dict:
        seed = self.cfg.get('randomness', {}).get('seed')
        return dict(
            config=self.config_path,
            seed=seed,
            versions=package_versions(),
            stages={
                name: {
                    k: record.get(k)
                    for k in ('status', 'count', 'wall_time_s',
                              'items_per_s', 'metrics', 'outputs',
                              'skipped', 'settings_hash', 'input_hash',
                              'weights')
                }
                for name, record in ((n, self.results[n])
                                     for n in self.stages if n in self.results)
            },
            **(dict(figures=self.figures) if self.figures else {}))

    def write_report(self) -> None:
        report = self.report()
        atomic_write_json(f'{self.work_dir}/report.json', report)
        atomic_write(f'{self.work_dir}/report.md',
                     render_markdown(report).encode())
